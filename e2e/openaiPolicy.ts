/** What the stub's model "does": the default policy (call the Phota tool once, then answer) and its helpers. */
import type { JsonSchema, Policy } from './openaiTypes';

/** The first http(s) URL in a text (JSON-escaped slashes allowed), or undefined. */
export function firstUrl(text: string): string | undefined {
	return text
		.replace(/\\\//g, '/')
		.match(/https?:\/\/[^"\\\s<>)\]]+/)?.[0]
		?.replace(/[.,;]+$/, '');
}

/** The first Phota profile id (prof_…) in a text, except the examples' placeholder. */
export function firstProfileId(text: string): string | undefined {
	return [...text.matchAll(/prof_[A-Za-z0-9_-]+/g)]
		.map((match) => match[0])
		.find((id) => id !== 'prof_replace_me');
}

/** A value for one argument, from its name and schema. */
function valueFor(name: string, schema: JsonSchema, profileId: string): unknown {
	if (schema.enum?.length) return schema.enum[0];
	// As a model reads "…, one of auto, 1:1, 3:4" in the argument's description.
	const choices = /\bone of ([^.;]+)/.exec(schema.description ?? '')?.[1];
	if (choices) return choices.split(',')[0].trim();
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	if (type === 'number' || type === 'integer') return schema.minimum ?? 1;
	if (type === 'boolean') return false;
	if (type === 'array') return [valueFor(name, schema.items ?? { type: 'string' }, profileId)];
	if (type === 'object') return argumentsFor(schema, profileId);
	if (/prompt/i.test(name)) return `Studio headshot of [[${profileId}]], grey backdrop`;
	if (/profile/i.test(name)) return profileId;
	if (/url/i.test(name)) return 'https://example.org/photo.jpg';
	return `value for ${name}`;
}

/**
 * Arguments for a tool, built from its JSON schema: a `prompt` names the profile as
 * [[<profile id>]], a `profile…` argument is the profile id, numbers are their minimum or 1,
 * enums their first value.
 */
export function argumentsFor(schema: JsonSchema, profileId: string): Record<string, unknown> {
	return Object.fromEntries(
		Object.entries(schema.properties ?? {}).map(([name, property]) => [
			name,
			valueFor(name, property, profileId),
		]),
	);
}

/**
 * The default model: with no tool result yet, call the first tool offered with arguments from
 * its schema (the profile id is `options.profileId`, or the first prof_… in the conversation);
 * after a tool result, answer with the first URL in it.
 */
export function defaultPolicy(options: { profileId?: string } = {}): Policy {
	return (turn) => {
		const last = turn.toolResults.at(-1);
		if (last !== undefined) {
			const url = firstUrl(last);
			return { text: url ? `Here is your image: ${url}` : `The tool returned no URL: ${last}` };
		}
		const tool = turn.tools[0];
		if (!tool) return { text: 'I have no tools to call.' };
		const profileId =
			options.profileId ??
			firstProfileId(turn.messages.map((message) => message.content).join('\n')) ??
			'prof_unknown';
		return { toolCall: { name: tool.name, arguments: argumentsFor(tool.parameters, profileId) } };
	};
}
