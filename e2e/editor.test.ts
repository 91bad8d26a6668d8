/**
 * Real-browser smoke test of the n8n 2.8.4 editor with this package: headless Chromium from
 * Debian's packages (/usr/bin/chromium, or PHOTA_E2E_CHROMIUM), driven by playwright-core, which
 * never downloads a browser. The package is installed as n8n's Community Nodes installer installs
 * it, and the credential points at the local Phota simulator. The browser resolves no host name:
 * it reaches only the n8n on 127.0.0.1.
 *
 * Screenshots for a person to look at go to e2e/screenshots/ (ignored by git);
 * PHOTA_E2E_DEBUG=1 adds one after every test and prints the simulator's log and n8n's output.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import type { Browser, Locator, Page } from 'playwright-core';
import { chromium, selectors } from 'playwright-core';
import { fetch } from 'undici';

import { chromiumPath } from '../prerequisites';
import type { PhotaSimulator } from '../simulator';
import { startSimulator } from '../simulator';
import type { N8nInstance, N8nServer } from './n8nCli';
import {
	E2E_DIR,
	createN8n,
	packPackage,
	removeN8n,
	removePackage,
	startN8nServer,
} from './n8nCli';

const CHROMIUM = chromiumPath();
// Known to work on this closed network: without the background-networking flags Chromium keeps
// trying to reach Google's hosts.
const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	// Every host name fails to resolve; n8n is reached by its loopback address. The editor's calls
	// to api.n8n.io and the npm registry fail at once, and no request has to be intercepted.
	'--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
const SCREENSHOTS = path.join(E2E_DIR, 'screenshots');
const API_KEY = 'e2e-editor-key-5b7d';
const WRONG_KEY = 'e2e-editor-wrong-key-0000';
const OWNER = {
	email: 'owner@example.com',
	firstName: 'Ada',
	lastName: 'Owner',
	password: 'Phota-e2e-Passw0rd',
};
const PHOTO_URLS = Array.from(
	{ length: 10 },
	(_, index) => `https://photos.example.org/ada/${String(index + 1).padStart(2, '0')}.jpg`,
);
/** The credential's own rule for a 401 (credentials/PhotaApi.credentials.ts). */
const PACKAGE_401_MESSAGE =
	'Phota rejected the API key (401). Check that you copied the whole key.';
const TRIGGER = 'When clicking ‘Execute workflow’';

// n8n marks its elements with data-test-id (Playwright's default is data-testid).
selectors.setTestIdAttribute('data-test-id');

let sim: PhotaSimulator;
let n8n: N8nInstance | undefined;
let server: N8nServer | undefined;
let browser: Browser | undefined;
let page: Page;
let packedTarball: string | undefined;
const pageErrors: string[] = [];
const timings: string[] = [];
const TAG = 'campaign-42';

const started = Date.now();
let lap = started;
function timing(what: string) {
	const now = Date.now();
	timings.push(`${what} ${((now - lap) / 1000).toFixed(1)} s`);
	lap = now;
}

function shot(name: string, target: Page | Locator = page) {
	return target.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

beforeAll(async () => {
	if (!existsSync(CHROMIUM))
		throw new Error(
			`No Chromium at ${CHROMIUM}: npm run test:e2e installs Debian's package (prerequisites/cli.ts e2e)`,
		);
	rmSync(SCREENSHOTS, { recursive: true, force: true });
	mkdirSync(SCREENSHOTS, { recursive: true });

	sim = await startSimulator({
		apiKeys: [API_KEY],
		trainingPhasesMs: { validating: 300, queuing: 300, inProgress: 900 },
	});
	let tarball = process.env.PHOTA_E2E_TARBALL;
	if (!tarball) {
		tarball = await packPackage();
		packedTarball = tarball;
	}
	n8n = await createN8n(tarball);
	timing('pack and install');
	server = await startN8nServer(n8n);
	timing('n8n start');

	// A fresh instance has no owner yet: n8n's setup form, through its REST endpoint.
	const setup = await fetch(`${server.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	expect(setup.status).toBe(200);
	await setup.arrayBuffer();

	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: CHROMIUM_ARGS,
	});
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	// Generous for a loaded 2-core CI machine; a healthy run needs a fraction of these.
	context.setDefaultTimeout(30_000);
	context.setDefaultNavigationTimeout(60_000);
	page = await context.newPage();
	page.on('pageerror', (error) => pageErrors.push(error.message));

	// Log in through the sign-in form.
	await page.goto(`${server.url}/signin`, { waitUntil: 'domcontentloaded' });
	await page.getByTestId('emailOrLdapLoginId').locator('input').fill(OWNER.email);
	await page.getByTestId('password').locator('input').fill(OWNER.password);
	await page.getByTestId('form-submit-button').click();
	await page.waitForURL((url) => url.pathname.startsWith('/home'));
	timing('owner setup and login');
}, 300_000);

let testIndex = 0;
afterEach(async () => {
	testIndex++;
	if (process.env.PHOTA_E2E_DEBUG && page) await shot(`debug-after-test-${testIndex}`);
});

afterAll(async () => {
	if (process.env.PHOTA_E2E_DEBUG) {
		console.log(sim?.log.entries.map((entry) => `${entry.route} ${entry.status}`).join('\n'));
		console.log(server?.output.join('').slice(-6000));
	}
	await browser?.close();
	await server?.stop();
	await sim?.close();
	if (n8n) removeN8n(n8n);
	if (packedTarball) removePackage(packedTarball);
	timing('shutdown');
	console.log(
		`editor test: ${((Date.now() - started) / 1000).toFixed(1)} s in all (${timings.join(', ')})`,
	);
});

const ndv = () => page.getByTestId('ndv');
const parameter = (name: string) => ndv().getByTestId(`parameter-input-${name}`);
const canvasNode = (name: string) =>
	page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
const nodeCreator = () => page.getByTestId('node-creator');
const creatorItem = (name: string) =>
	nodeCreator()
		.getByTestId('item-iterator-item')
		.filter({
			has: page.getByTestId('node-creator-item-name').getByText(name, { exact: true }),
		});

/** Types into the nodes panel's search; returns the names it lists once all `expected` show. */
async function searchNodes(text: string, expected: string[]): Promise<string[]> {
	await page.getByTestId('node-creator-search-bar').fill(text);
	for (const name of expected) await creatorItem(name).waitFor();
	return await nodeCreator().getByTestId('node-creator-item-name').allInnerTexts();
}

async function closeNodeCreator() {
	await page.keyboard.press('Escape');
	await nodeCreator().waitFor({ state: 'hidden' });
}

async function closeNdv() {
	await page.getByTestId('ndv-close-button').click();
	await ndv().waitFor({ state: 'hidden' });
}

test("credential: a wrong key fails n8n's credential test with the package's own message, the simulator's key passes it", async () => {
	await page.goto(`${server!.url}/home/credentials`, { waitUntil: 'domcontentloaded' });
	await page.getByRole('button', { name: 'Create credential' }).first().click();
	await page.getByPlaceholder('Search for app...').fill('Phota');
	await page
		.getByTestId('new-credential-type-select-option')
		.filter({ hasText: 'Phota API' })
		.click();
	await page.getByTestId('new-credential-type-button').click();

	// The credential refuses plain http:// except on loopback: the simulator listens on 127.0.0.1.
	expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/phota$/);
	await page.getByTestId('parameter-input-baseUrl').locator('input').fill(sim.baseUrl);
	await page.getByTestId('parameter-input-apiKey').locator('input').fill(WRONG_KEY);
	await page.getByTestId('credential-save-button').click();
	const banner = page
		.locator('.el-tag')
		.filter({ hasText: 'Couldn’t connect with these settings' });
	await banner.getByText('More details').click();
	await banner.getByText('More details').waitFor({ state: 'hidden' });
	// Expanded, the banner reads: the message, the Retry button, then the details.
	const bannerLines = (await banner.innerText()).split('\n').map((line) => line.trim());
	await shot('04-credential-wrong-key');
	// Not n8n's generic "Authorization failed - please check your credentials" (n8n 2.8.4 loses the
	// HTTP status of a failed test request; the credential judges the answer's body instead).
	expect(bannerLines.filter(Boolean).at(-1)).toBe(PACKAGE_401_MESSAGE);
	const wrongKeyRequests = sim.log.forRoute('GET /profiles/ids');
	expect(wrongKeyRequests.length).toBeGreaterThan(0);
	expect(wrongKeyRequests.every((entry) => entry.status === 401)).toBe(true);

	await page.getByTestId('parameter-input-apiKey').locator('input').fill(API_KEY);
	await page.getByTestId('credential-save-button').click();
	const success = page.getByTestId('credentials-config-container-test-success');
	await success.waitFor();
	expect(await success.innerText()).toMatch(/Connection tested successfully/);
	await shot('05-credential-tested-successfully');
	expect(sim.log.forRoute('GET /profiles/ids').at(-1)?.status).toBe(200);
	await page.getByRole('button', { name: 'Close this dialog' }).click();
	timing('credential');
});

test('nodes panel: "Phota" and "Wait for Profile" find the nodes from the top "+", Tab and a node\'s "+"', async () => {
	await page.goto(`${server!.url}/workflow/new`, { waitUntil: 'domcontentloaded' });
	await page.getByTestId('canvas-plus-button').waitFor();

	// Top "+": on an empty canvas the panel asks for a trigger, and still lists both.
	await page.getByTestId('node-creator-plus-button').click();
	expect(await searchNodes('Phota', ['Phota', 'Wait for Profile Ready'])).toEqual(
		expect.arrayContaining(['Phota', 'Wait for Profile Ready']),
	);
	await shot('01-nodes-panel-top-plus-phota');
	expect(await searchNodes('Wait for Profile', ['Wait for Profile Ready'])).toContain(
		'Wait for Profile Ready',
	);

	// A manual trigger, so that the panel then asks for the next step.
	await searchNodes('Manual Trigger', ['Manual Trigger']);
	await creatorItem('Manual Trigger').click();
	await canvasNode(TRIGGER).waitFor();
	await nodeCreator().waitFor({ state: 'hidden' });

	// Tab on the canvas.
	await page.getByTestId('canvas-wrapper').click({ position: { x: 200, y: 200 } });
	await page.keyboard.press('Tab');
	await page.getByText('What happens next?').waitFor();
	expect(await searchNodes('Phota', ['Phota', 'Wait for Profile Ready'])).toEqual(
		expect.arrayContaining(['Phota', 'Wait for Profile Ready']),
	);
	await shot('02-nodes-panel-tab-phota');
	expect(await searchNodes('Wait for Profile', ['Wait for Profile Ready'])).toContain(
		'Wait for Profile Ready',
	);
	await closeNodeCreator();

	// The trigger's own "+" (where the review could not find Wait for Profile Ready at all).
	await canvasNode(TRIGGER).getByTestId('canvas-handle-plus').click();
	expect(await searchNodes('Wait for Profile', ['Wait for Profile Ready'])).toContain(
		'Wait for Profile Ready',
	);
	await shot('03-nodes-panel-node-plus-wait-for-profile');
	expect(await searchNodes('Phota', ['Phota', 'Wait for Profile Ready'])).toEqual(
		expect.arrayContaining(['Phota', 'Wait for Profile Ready']),
	);
	await closeNodeCreator();
	timing('nodes panel');
});

test('Create → Wait for Profile Ready → Generate, built in the editor, runs from "Execute workflow" and shows the image', async () => {
	const actions = nodeCreator().getByTestId('item-iterator-item');

	// Create a profile, from the trigger's "+". One Photo URL box holds all ten URLs.
	await canvasNode(TRIGGER).getByTestId('canvas-handle-plus').click();
	await searchNodes('Phota', ['Phota']);
	await creatorItem('Phota').click();
	await actions.filter({ hasText: 'Create a profile' }).click();
	await ndv().waitFor();
	expect(await ndv().getByTestId('node-credentials-select').locator('input').inputValue()).toBe(
		'Phota account',
	);
	await ndv().getByRole('button', { name: 'Add Photo URL' }).click();
	await parameter('imageUrls').locator('input').first().fill(PHOTO_URLS.join(', '));
	await parameter('tag').locator('input').fill(TAG);
	await shot('06-create-profile-parameters');
	await closeNdv();

	// Wait for Profile Ready, from the Create node's "+".
	await canvasNode('Create a profile').getByTestId('canvas-handle-plus').click();
	await searchNodes('Wait for Profile', ['Wait for Profile Ready']);
	await creatorItem('Wait for Profile Ready').click();
	await nodeCreator().getByRole('button', { name: 'Add to workflow' }).click();
	await ndv().waitFor();
	// Whole numbers show as typed (15.00 and 45.00 while the fields had numberPrecision).
	expect(await parameter('pollIntervalSeconds').locator('input').inputValue()).toBe('15');
	expect(await parameter('timeoutMinutes').locator('input').inputValue()).toBe('45');
	// The Profiles mode selector shows its mode whole (n8n 2.x gives it 92 px: "From Input Item"
	// showed as "From Inp").
	const modeInput = ndv().getByTestId('rlc-mode-selector').locator('input');
	const modeSelector = await modeInput.evaluate((input: unknown) => {
		const { value, clientWidth, scrollWidth } = input as {
			value: string;
			clientWidth: number;
			scrollWidth: number;
		};
		return { label: value, clientWidth, scrollWidth };
	});
	expect(modeSelector.label).toBe('By Field');
	expect(modeSelector.scrollWidth).toBeLessThanOrEqual(modeSelector.clientWidth);
	// Empty by default: the placeholder names the field it reads.
	expect(await parameter('profiles').locator('input').last().inputValue()).toBe('');
	expect(await parameter('profiles').locator('input').last().getAttribute('placeholder')).toBe(
		'profile_ids',
	);
	await shot('07-wait-node-parameters');
	await shot('07b-wait-node-profiles-mode-selector', parameter('profiles'));
	await parameter('pollIntervalSeconds').locator('input').fill('0.5');
	await closeNdv();

	// Generate images, from the Wait node's Ready output.
	const ready = canvasNode('Wait for Profile Ready').locator(
		'[data-test-id="canvas-node-output-handle"][data-index="0"]',
	);
	expect(await ready.innerText()).toContain('Ready');
	await ready.getByTestId('canvas-handle-plus').click();
	await searchNodes('Phota', ['Phota']);
	await creatorItem('Phota').click();
	await actions.filter({ hasText: 'Generate images' }).click();
	await ndv().waitFor();
	await parameter('prompt').locator('textarea').fill('Studio headshot of [[profile]]');
	await closeNdv();
	await page.getByTestId('tidy-up-button').click();
	timing('building the workflow');

	// Run it.
	const runStarted = Date.now();
	await page.getByTestId('execute-workflow-button').click();
	await canvasNode('Generate images')
		.getByTestId('canvas-node-status-success')
		.waitFor({ timeout: 60_000 });
	const runSeconds = (Date.now() - runStarted) / 1000;
	for (const name of [TRIGGER, 'Create a profile', 'Wait for Profile Ready'])
		await canvasNode(name).getByTestId('canvas-node-status-success').waitFor();
	await shot('08-run-succeeded');

	const created = sim.log.forRoute('POST /profiles/add');
	expect(created).toHaveLength(1);
	expect((created[0].body as { image_urls: string[] }).image_urls).toEqual(PHOTO_URLS);
	expect(sim.log.count('GET /profiles/:id/status')).toBeGreaterThan(1);
	const generated = sim.log.forRoute('POST /generate');
	expect(generated).toHaveLength(1);
	expect((generated[0].body as { prompt: string }).prompt).toMatch(
		/^Studio headshot of \[\[prof_[0-9a-f]+\]\]$/,
	);

	// The Generate node's output panel shows the image.
	await canvasNode('Generate images').dblclick();
	await ndv().waitFor();
	const output = page.getByTestId('output-panel');
	await output
		.getByTestId('ndv-run-data-display-mode')
		.getByText('Binary', { exact: true })
		.click();
	const card = output.getByTestId('ndv-binary-data_0');
	expect(await card.innerText()).toMatch(/phota-generate-1-1\.png[\s\S]*image\/png/);
	await card.getByTestId('ndv-view-binary-data').click();
	const image = output.locator('img').first();
	await image.waitFor();
	const loaded = await image.evaluate((img: unknown) => {
		const { complete, naturalWidth } = img as { complete: boolean; naturalWidth: number };
		return complete && naturalWidth > 0;
	});
	expect(loaded).toBe(true);
	await shot('09-generate-binary-preview');
	await closeNdv();
	timing(
		`running it (Execute workflow → Generate done: ${runSeconds.toFixed(1)} s) and its output`,
	);
});

test('Profiles: "By ID" starts empty, "From list" shows each profile\'s status and tag and finds it by tag', async () => {
	await canvasNode('Generate images').dblclick();
	await ndv().waitFor();
	const profiles = parameter('profiles');
	await profiles.getByTestId('rlc-mode-selector').click();
	await page.getByRole('option', { name: 'By ID', exact: true }).click();
	// n8n keeps the value on a mode switch: the default is empty, so no "profile_ids" is left over.
	expect(await profiles.locator('input').last().inputValue()).toBe('');

	await profiles.getByTestId('rlc-mode-selector').click();
	await page.getByRole('option', { name: 'From list', exact: true }).click();
	await profiles.getByTestId('rlc-input').click();
	const [profile] = sim.profiles();
	// The simulator lists bare ids, as Phota's docs show them (no tag in the list itself).
	const listed = page.getByText(`${profile.id} (READY)`, { exact: true });
	await listed.waitFor();
	const items = profiles.getByTestId('rlc-item');
	expect(await items.allInnerTexts()).toEqual([`${profile.id} (READY)`]);
	await shot('10-profiles-from-list');

	// A search is also tried as a tag (Phota's list filters by exact tag).
	const search = page.getByPlaceholder('Search...', { exact: true });
	await search.fill(TAG);
	const found = page.getByText(`${profile.id} (READY, tag ${TAG})`, { exact: true });
	await found.waitFor();
	expect(await items.allInnerTexts()).toEqual([`${profile.id} (READY, tag ${TAG})`]);
	await shot('11-profiles-searched-by-tag');
	await search.fill('no-such-tag');
	await found.waitFor({ state: 'hidden' });
	expect(await items.count()).toBe(0);

	// Where the list gives objects with their tags, every line shows the tag, and part of a tag finds it.
	sim.settings.listFormat = 'objects';
	await search.fill('campaign');
	await found.waitFor();
	expect(await items.allInnerTexts()).toEqual([`${profile.id} (READY, tag ${TAG})`]);
	sim.settings.listFormat = 'strings';
	await page.keyboard.press('Escape');
	await closeNdv();
	timing('profile list');
});

test('Generate → Options → Async Job: three choices; "wait here" shows its poll interval and max wait, "return its ID" the Callback URL', async () => {
	await canvasNode('Generate images').dblclick();
	await ndv().waitFor();
	await ndv().getByTestId('collection-parameter-add').click();
	await page.getByRole('option', { name: 'Async Job', exact: true }).click();
	const asyncJob = parameter('async');
	await asyncJob.waitFor();
	await asyncJob.click();
	const choices = page
		.getByRole('option')
		.filter({ hasText: /^(Off: Wait for Phota|Submit and )/ });
	await choices.first().waitFor();
	const names = (await choices.allInnerTexts()).map((text) => text.split('\n')[0].trim());
	expect(names).toEqual([
		"Off: Wait for Phota's Answer",
		'Submit and Wait Here (Recommended)',
		'Submit and Return the Job ID',
	]);
	await shot('12-async-job-choices');
	await choices.nth(1).click();
	// Its own options are offered once it is chosen (a collection adds only what the user picks).
	const offered = async () => {
		await ndv().getByTestId('collection-parameter-add').click();
		const names = await page
			.getByRole('option')
			.filter({ hasText: /^(Job |Callback URL)/ })
			.allInnerTexts();
		await page.keyboard.press('Escape');
		return names.map((text) => text.trim()).sort();
	};
	expect(await offered()).toEqual(['Job Max Wait (Minutes)', 'Job Poll Interval (Seconds)']);
	await shot('13-async-job-wait-here');
	await asyncJob.click();
	await choices.nth(2).click();
	expect(await offered()).toEqual(['Callback URL']);
	await shot('14-async-job-return-id');
	await closeNdv();
	timing('async job options');
});

test('Phota Trigger: found in the nodes panel; it shows the URL to paste and what to do behind an https proxy', async () => {
	await page.goto(`${server!.url}/workflow/new`, { waitUntil: 'domcontentloaded' });
	await page.getByTestId('canvas-plus-button').waitFor();
	await page.getByTestId('node-creator-plus-button').click();
	await searchNodes('Phota', ['Phota']);
	await creatorItem('Phota').click();
	const triggerAction = nodeCreator().getByText('On async job finished', { exact: true });
	await triggerAction.waitFor();
	await shot('15-nodes-panel-phota-trigger');
	await triggerAction.click();
	await ndv().waitFor();
	await ndv().getByText("Copy this node's Production URL").waitFor();
	await ndv().getByText('WEBHOOK_URL', { exact: false }).first().waitFor();
	await ndv().getByText('Webhook URLs', { exact: false }).first().click();
	await ndv()
		.getByText(/\/webhook(-test)?\/[0-9a-f-]{36}\/phota/)
		.first()
		.waitFor();
	await shot('16-phota-trigger-parameters');
	await closeNdv();
	timing('phota trigger');
});

test("no page errors in the editor, and no API key in n8n's output", () => {
	expect(pageErrors).toEqual([]);
	const output = server!.output.join('');
	expect(output.length).toBeGreaterThan(0);
	expect(output).not.toContain(API_KEY);
	expect(output).not.toContain(WRONG_KEY);
});
