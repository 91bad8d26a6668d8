import type { AllEntities } from 'n8n-workflow';

type NodeMap = {
	profile: 'create' | 'deleteProfile' | 'getMany' | 'getPicture' | 'getStatus';
};

export type PhotaType = AllEntities<NodeMap>;
