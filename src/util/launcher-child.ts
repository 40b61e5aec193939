/**
 * The launcher's child process (util/launcher.ts): starts detached
 * processes for mensemble. It holds almost no memory, so each fork costs a
 * fraction of what it costs from mensemble's own process (fork copies the
 * parent's page tables: 1.2 ms from a 50 MB process, 5 ms from a 250 MB one
 * here), and it forks on its own core. It exits when mensemble goes away.
 */
import { startDetached } from './detached.js';
import type { LaunchReply, LaunchRequest } from './launcher.js';

process.title = `mensemble-launcher ${process.ppid}`;
process.on('disconnect', () => process.exit(0));
process.on('message', (message: LaunchRequest) => {
  startDetached(message.files, message.argv, message.options).then(
    (started) => reply({ id: message.id, ...started }),
    (err: Error) => reply({ id: message.id, error: err.message }),
  );
});

function reply(message: LaunchReply): void {
  // The parent may be gone: there is nobody to tell.
  if (process.connected) process.send!(message);
}
