/**
 * What the editor shows, pinned: the three nodes' and the two credentials' descriptions as n8n reads them.
 * A refactor must leave this file's fixture untouched; a change a user should see is made on
 * purpose with `PHOTA_UPDATE_DESCRIPTIONS=1 npx jest test/unit/descriptions.test.ts`, and the
 * fixture's diff is then reviewed with the change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { PhotaApi } from '../../credentials/PhotaApi.credentials';
import { PhotaWebhookSecretApi } from '../../credentials/PhotaWebhookSecretApi.credentials';
import { Phota } from '../../nodes/Phota/Phota.node';
import { PhotaTrigger } from '../../nodes/Phota/PhotaTrigger/PhotaTrigger.node';
import { WaitForProfileReady } from '../../nodes/Phota/WaitForProfileReady/WaitForProfileReady.node';

const FIXTURE = path.join(__dirname, 'fixtures', 'descriptions.json');

test('the node and credential descriptions are the ones pinned in fixtures/descriptions.json', () => {
	const current = `${JSON.stringify(
		{
			phota: new Phota().description,
			wait: new WaitForProfileReady().description,
			cred: new PhotaApi(),
			trigger: new PhotaTrigger().description,
			webhookSecretCred: new PhotaWebhookSecretApi(),
		},
		null,
		1,
	)}\n`;
	if (process.env.PHOTA_UPDATE_DESCRIPTIONS === '1') writeFileSync(FIXTURE, current);
	expect(current).toBe(readFileSync(FIXTURE, 'utf8'));
});
