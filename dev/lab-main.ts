/** `npm run lab`: the bounce lab alone (LAB_PORT, default 2525). */
import { loadConfigOrExit } from '../runtime/config';
import { onShutdown } from '../runtime/shutdown';
import { LAB_DOMAINS, startBounceLab } from './bounce-lab';
import { runMain } from '../runtime/run-main';

async function main(): Promise<void> {
  const lab = await startBounceLab({ port: loadConfigOrExit().LAB_PORT });
  console.log(`Bounce lab listening on ${lab.url} (domains: ${Object.keys(LAB_DOMAINS).join(', ')})`);
  onShutdown(() => lab.stop());
}

runMain(main);
