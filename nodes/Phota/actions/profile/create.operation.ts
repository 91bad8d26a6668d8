import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { optionsCollection, requestOptions } from '../../helpers/descriptions';
import type { ItemOperation } from '../../helpers/itemRunner';
import { isHttpUrl, splitUrls } from '../../helpers/lists';
import { executionLimitProperty, spendingOptions } from '../../helpers/spending';
import { withToolSetup } from '../../helpers/toolMode';
import type { RunSettings } from '../../helpers/settings';
import type { RunRequests } from '../../transport';
import { photaApiRequest } from '../../transport';
import { incompleteAnswerError } from '../../transport/errors';

/** Photo counts per training tier (Phota guides/profiles: standard 10–50, fast 5–10). */
const TRAINING_TIERS = {
	standard: { min: 10, max: 50 },
	fast: { min: 5, max: 10 },
} as const;
type TrainingTier = keyof typeof TRAINING_TIERS;

function isTrainingTier(value: unknown): value is TrainingTier {
	return typeof value === 'string' && Object.keys(TRAINING_TIERS).includes(value);
}

const properties: INodeProperties[] = [
	{
		displayName:
			'Phota trains the profile from public (or signed) image URLs, which takes about 20 minutes. Put a "Wait for Profile Ready" node after this one before editing or generating images.',
		name: 'createNotice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Reference Photos',
		name: 'imageSource',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Enter URLs',
				value: 'list',
				description: 'Type or map the photo URLs; each input item creates one profile',
			},
			{
				name: 'From a List Field',
				value: 'field',
				description: 'Each input item holds an array of photo URLs and creates one profile',
			},
			{
				name: 'Collect From All Items',
				value: 'allItems',
				description:
					'Each input item holds one photo URL; all of them together create a single profile',
			},
		],
		default: 'list',
	},
	{
		displayName: 'Photo URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Photo URL' },
		default: [],
		placeholder: 'https://example.com/photos/01.jpg',
		description: 'Publicly reachable URLs of photos of the person (JPEG, PNG, WebP or HEIC)',
		displayOptions: { show: { imageSource: ['list'] } },
	},
	{
		displayName: 'List Field',
		name: 'imageUrlsField',
		type: 'string',
		default: 'image_urls',
		required: true,
		description: 'Input field holding the array (or comma-separated list) of photo URLs',
		displayOptions: { show: { imageSource: ['field'] } },
	},
	{
		displayName: 'URL Field',
		name: 'imageUrlField',
		type: 'string',
		default: 'url',
		required: true,
		description: 'Input field that holds one photo URL in each item',
		displayOptions: { show: { imageSource: ['allItems'] } },
	},
	{
		displayName: 'Training Tier',
		name: 'trainingTier',
		type: 'options',
		options: [
			{ name: 'Standard (10–50 Photos, Best Likeness)', value: 'standard' },
			{ name: 'Fast (5–10 Photos, Quicker and Cheaper)', value: 'fast' },
		],
		default: 'standard',
	},
	{
		displayName: 'Tag',
		name: 'tag',
		type: 'string',
		default: '',
		placeholder: 'e.g. customer_42',
		description:
			'Optional label (1–128 characters) to find the profile later with Get Many, for example your own ID for the person. Cannot be changed later.',
	},
	optionsCollection([...spendingOptions({ images: false }), ...requestOptions]),
];

const displayOptions = { show: { resource: ['profile'], operation: ['create'] } };

export const description = updateDisplayOptions(
	displayOptions,
	withToolSetup(properties, {
		description:
			'Starts training a Phota profile (a model of one person) from photos of them. Returns profile_id at once; training takes about 20 minutes, and the profile can be used in images once its status is READY (check it with the status tool).',
		extra: [executionLimitProperty],
	}),
);

interface CreatePlan {
	image_urls: string[];
	training_tier: TrainingTier;
	tag?: string;
}

export function prepare(
	this: IExecuteFunctions,
	{ requests }: RunSettings,
): ItemOperation<CreatePlan> {
	const imageSource = this.getNodeParameter('imageSource', 0) as string;
	return {
		// Collect From All Items: one profile from the photo URL of every input item.
		allItemsAtOnce: imageSource === 'allItems',
		async plan(itemIndex) {
			let urls: string[];
			if (imageSource === 'allItems') urls = urlsFromAllItems.call(this);
			else if (imageSource === 'field') urls = urlsFromField.call(this, itemIndex);
			else urls = urlList(this.getNodeParameter('imageUrls', itemIndex, []));
			return createPlan.call(this, urls, itemIndex);
		},
		async run(plan, itemIndex) {
			return [{ json: await createProfile.call(this, plan, itemIndex, requests) }];
		},
		plannedCharge: () => ({ paidRequests: 1, images: 0 }),
		preview: (plan) => ({ endpoint: '/profiles/add', ...plan }),
	};
}

/** Collect From All Items: one photo URL from each input item. */
function urlsFromAllItems(this: IExecuteFunctions): string[] {
	return this.getInputData().map((item, itemIndex) => {
		const field = this.getNodeParameter('imageUrlField', itemIndex) as string;
		const value = item.json[field];
		if (typeof value !== 'string' || value.trim() === '') {
			throw new NodeOperationError(
				this.getNode(),
				`Input item ${itemIndex} has no photo URL in the field "${field}"`,
				{
					itemIndex,
					description: 'With "Collect From All Items" every input item must hold one photo URL.',
				},
			);
		}
		return value.trim();
	});
}

function createPlan(this: IExecuteFunctions, urls: string[], itemIndex: number): CreatePlan {
	const tier = this.getNodeParameter('trainingTier', itemIndex, 'standard');
	const tag = (this.getNodeParameter('tag', itemIndex, '') as string).trim();
	if (!isTrainingTier(tier)) {
		throw new NodeOperationError(
			this.getNode(),
			`Training Tier "${String(tier)}" is not one of standard, fast`,
			{ itemIndex },
		);
	}
	const bounds = TRAINING_TIERS[tier];

	urls.forEach((url, position) => {
		if (!isHttpUrl(url)) {
			throw new NodeOperationError(
				this.getNode(),
				`Photo URL ${position + 1} is not an http(s) URL: "${truncate(url)}"`,
				{
					itemIndex,
					description:
						'Phota trains profiles from URLs only. Upload binary photos somewhere public (or signed) first.',
				},
			);
		}
	});
	const distinct = [...new Set(urls)];
	if (distinct.length < bounds.min || distinct.length > bounds.max) {
		throw new NodeOperationError(
			this.getNode(),
			`Photo URLs: the ${tier} tier needs ${bounds.min}–${bounds.max} distinct photos, got ${distinct.length}`,
			{
				itemIndex,
				description: `Phota rejects profiles outside this range. ${adviceFor(tier, distinct.length)}`,
			},
		);
	}
	if (tag.length > 128) {
		throw new NodeOperationError(
			this.getNode(),
			`Tag is ${tag.length} characters long; Phota allows at most 128`,
			{
				itemIndex,
			},
		);
	}
	return { image_urls: distinct, training_tier: tier, ...(tag ? { tag } : {}) };
}

async function createProfile(
	this: IExecuteFunctions,
	plan: CreatePlan,
	itemIndex: number,
	requests: RunRequests,
): Promise<IDataObject> {
	const { body } = await (photaApiRequest<{ profile_id?: unknown }>).call(this, {
		method: 'POST',
		endpoint: '/profiles/add',
		body: { ...plan },
		safety: 'paid',
		itemIndex,
		requests,
	});
	if (typeof body.profile_id !== 'string' || body.profile_id === '') {
		throw incompleteAnswerError(
			this.getNode(),
			'profile_id',
			body,
			itemIndex,
			'Phota may have created (and charged for) the profile; look for it with Profile → Get Many before creating it again.',
		);
	}
	return {
		profile_id: body.profile_id,
		profile_ids: [body.profile_id],
		training_tier: plan.training_tier,
		tag: plan.tag ?? null,
		image_count: plan.image_urls.length,
	};
}

function urlsFromField(this: IExecuteFunctions, itemIndex: number): string[] {
	const field = this.getNodeParameter('imageUrlsField', itemIndex) as string;
	const value = this.getInputData()[itemIndex]?.json[field];
	if (value === undefined || value === null || value === '') {
		throw new NodeOperationError(
			this.getNode(),
			`Input item ${itemIndex} has no "${field}" field with photo URLs`,
			{
				itemIndex,
				description: 'Set List Field to the input field that holds the array of photo URLs.',
			},
		);
	}
	return urlList(value);
}

/** Photo URLs from an array, list entries ({ url }) or a text; a list pasted into one box is split. */
function urlList(value: unknown): string[] {
	const entries: unknown[] = Array.isArray(value) ? value : [value];
	return entries
		.map((entry) => (entry && typeof entry === 'object' && 'url' in entry ? entry.url : entry))
		.flatMap((entry) => (entry === undefined || entry === null ? [] : splitUrls(String(entry))));
}

function adviceFor(tier: TrainingTier, photoCount: number): string {
	if (photoCount > TRAINING_TIERS[tier].max) {
		if (tier === 'fast') return 'Remove some, or choose the Standard tier (10–50 photos).';
		return 'Remove some photos.';
	}
	if (tier === 'standard' && photoCount >= TRAINING_TIERS.fast.min) {
		return 'Add more photos, or choose the Fast tier (5–10 photos).';
	}
	return 'Add more photos of the person: varied angles, expressions and lighting work best.';
}

function truncate(text: string): string {
	return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
