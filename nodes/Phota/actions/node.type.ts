import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	profile: 'create' | 'deleteProfile' | 'getMany' | 'getPicture' | 'getStatus';
	image: 'edit' | 'enhance' | 'generate' | 'remix';
	job: 'get';
};

export type PhotaType = AllEntities<NodeMap>;
