/** `npm run lab`: the bounce lab alone (LAB_PORT, default 2525). */
import { loadConfigOrExit } from '../common/config';
import { onShutdown } from '../common/shutdown';
import { LAB_DOMAINS, startBounceLab } from './bounce-lab';

async function main(): Promise<void> {
  const lab = await startBounceLab({ port: loadConfigOrExit().LAB_PORT });
  console.log(`Bounce lab listening on ${lab.url} (domains: ${Object.keys(LAB_DOMAINS).join(', ')})`);
  onShutdown(() => lab.stop());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
