import fs from 'node:fs';

/** True if a process with this pid exists (it may belong to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The kernel's start time of a process (field 22 of /proc/<pid>/stat, clock
 * ticks since boot) and the boot it belongs to, as `<ticks>@<boot id>`: it
 * tells a process from a later one that reused its pid, also after a
 * reboot. Undefined where /proc is not available or the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined; // zombie: it has exited
    const boot = bootId();
    return boot ? `${rest[19]}@${boot}` : rest[19];
  } catch {
    return undefined;
  }
}

let boot: string | undefined | null = null;
function bootId(): string | undefined {
  if (boot === null) {
    try {
      boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      boot = undefined;
    }
  }
  return boot;
}

/**
 * Whether the live process `pid` is the one recorded as started at
 * `recorded` (processStartTime). Records written before the boot id was
 * kept hold the ticks alone and are compared on them. Nothing recorded: it
 * cannot be told, and the pid is trusted.
 */
export function isSameProcess(pid: number, recorded: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  if (recorded === undefined) return true;
  const now = processStartTime(pid);
  if (now === undefined) return false;
  const [ticks, boot] = recorded.split('@');
  const [nowTicks, nowBoot] = now.split('@');
  return ticks === nowTicks && (boot === undefined || nowBoot === undefined || boot === nowBoot);
}

/** A pid mensemble may wait on or signal: never 0 or 1 (init), whose signals reach the caller's group or every process. */
export function isUsablePid(pid: unknown): pid is number {
  return Number.isInteger(pid) && (pid as number) > 1;
}

/** Blocks the thread: for the few places that must wait without giving up control (lock contention, test pauses). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
