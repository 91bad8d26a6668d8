/**
 * A streaming JSON parser for Phota's sync image answers. Four 4K images arrive as ~60 MB of base64
 * text; buffering, converting and parsing that text would hold it three times over. This parser
 * reads the answer chunk by chunk and decodes the strings at "blob" paths (`images[i]`) straight
 * into bytes, so only the decoded images are held, never their base64 text.
 *
 * Every other value is exactly what `JSON.parse` gives for the whole answer, however the answer is
 * split into chunks (inside multi-byte characters, escapes, numbers or literals). Strings at blob
 * paths always become Buffers (an empty string becomes an empty Buffer).
 *
 * The pieces are in streamedJson/: parser.ts (the parser), frames.ts (the arrays and objects being
 * read), base64Blob.ts (reading and decoding a blob string), constants.ts (bytes, character
 * tables, parser states) and paths.ts.
 *
 * Nothing from Node's 'stream' module on purpose: n8n's verified-node scanner rejects it, so the
 * input is typed as an async iterable (a Node Readable is one).
 */
import { toBuffer } from './attempt';
import type { JsonPath } from './streamedJson/paths';
import { isImagePath } from './streamedJson/paths';
import { StreamingJsonParser } from './streamedJson/parser';

export type { JsonPath } from './streamedJson/paths';
export { isImagePath } from './streamedJson/paths';

/**
 * Parses a JSON answer as it streams in, turning the base64 strings at blob paths into Buffers
 * while they arrive. Rejects with a clear message when the answer is truncated, is not JSON, or
 * holds an image that is not base64.
 */
export async function parseJsonWithBase64Blobs(
	stream: AsyncIterable<unknown> | Iterable<unknown>,
	isBlobPath: (path: JsonPath) => boolean = isImagePath,
): Promise<unknown> {
	const parser = new StreamingJsonParser(isBlobPath);
	for await (const chunk of stream) parser.write(toBuffer(chunk));
	return parser.end();
}
