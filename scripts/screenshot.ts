/**
 * Makes docs/popup.png for the README: the real popup, signed in through the
 * demo provider, rendered by Chromium at the toolbar popup's size.
 */
import { mkdirSync } from 'node:fs';
import { startHarness } from '../tests/relay/helpers.ts';
import {
  clickButton,
  fillSettingsForm,
  launchWithExtension,
  signInAtProvider,
  waitForStatus,
} from '../tests/support/browser.ts';

const h = await startHarness();
const ext = await launchWithExtension({ relayPort: h.relay.port });
try {
  const page = await ext.openPopup();
  await fillSettingsForm(page, {
    nickname: 'Okta',
    authority: h.provider.issuer,
    clientId: h.provider.clientId,
    clientSecret: h.provider.clientSecret,
  });
  await clickButton(page, 'Login');
  await signInAtProvider(ext.browser, h.provider.issuer, 'dba.jane');
  await waitForStatus(page, 'Authenticated');
  await page.bringToFront();
  await page.setViewport({ width: 380, height: 600, deviceScaleFactor: 2 });
  await page.evaluate(() => window.scrollTo(0, 0));
  mkdirSync('docs', { recursive: true });
  await page.screenshot({ path: 'docs/popup.png', fullPage: true });
  console.log('wrote docs/popup.png');
} finally {
  await ext.close();
  await h.close();
}
