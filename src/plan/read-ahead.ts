import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { EnsembleSpec } from '../config/types.js';
import { parseRunState, runStatePath, type RunState } from '../state/run-state.js';
import { usableCpus } from '../util/cpus.js';
import { embedded } from '../util/embedded.js';
import type { Drift } from './types.js';

/** What the read-ahead thread is asked to read: every run folder under these base folders. */
export interface ReadAheadInput {
  basedirs: string[];
}

/** One run folder as the read-ahead thread sends it: its state file's text and the drift of its files. */
export interface ReadAheadFound {
  dir: string;
  text: string;
  drift: Drift[];
}

/** What the thread sends: some folders, or null once it has read them all. */
export type ReadAheadMessage = ReadAheadFound[] | null;

/** One run folder as observe.ts takes it: the state, parsed and checked here, and the drift. */
export interface ReadAheadEntry {
  dir: string;
  state: RunState;
  drift: Drift[];
}

/**
 * Reads the run folders of an ensemble on a second thread while the main
 * thread computes the desired state: at 100,000 runs, opening 100,000 state
 * files and taking 300,000 file stats is about 1.9 s of system calls, which
 * then overlap the 1.2 s the desired state takes. What it found is used
 * only as what observe.ts would have read itself at that moment (it is
 * checked there as a state read there is); anything it left out, it could
 * not read or could not make sense of is read on the main thread as before.
 */
export class ReadAhead {
  private readonly found = new Map<string, ReadAheadEntry>();
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private done = false;
  private exited = false;
  private failure: Error | undefined;

  constructor(input: ReadAheadInput, start: WorkerStart, private readonly strict = false) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = start({ ...input, port: port2 }, [port2]);
    // A thread that fails is only a slower plan: the main thread reads everything itself.
    this.worker.on('error', (err) => (this.failure = err));
    this.worker.on('exit', () => (this.exited = true));
    this.worker.unref();
  }

  /**
   * Takes what the thread has sent so far, without waiting. The desired
   * state calls this between runs: the thread's findings (about 1 KB a run)
   * then do not pile up in the message queue while the main thread is busy.
   */
  collect(): void {
    for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) this.take(m.message as ReadAheadMessage);
  }

  /**
   * The thread sends each state file's text, not the parsed state: copying
   * a string costs far less than V8 rebuilding an object from its
   * serialised form, and parsing and checking it here (as readRunState
   * does) is what reading the file here costs anyway. The text is dropped
   * once parsed.
   */
  private take(message: ReadAheadMessage): void {
    if (message === null) {
      this.done = true;
      return;
    }
    for (const { dir, text, drift } of message) {
      try {
        this.found.set(dir, { dir, state: parseRunState(text, runStatePath(dir)), drift });
      } catch {
        // The thread checked this same text; were it to fail here, observe.ts reads the file again.
      }
    }
  }

  /** What the thread found, once it has read everything; undefined if it failed. */
  async results(): Promise<ReadonlyMap<string, ReadAheadEntry> | undefined> {
    this.collect();
    // Unreferenced so far so that a plan that fails is not held up by it; now it is waited for.
    this.worker.ref();
    while (!this.done && !this.exited) {
      await new Promise<void>((resolve) => {
        const finish = () => {
          this.port.off('message', onMessage);
          this.worker.off('exit', finish);
          resolve();
        };
        const onMessage = (message: ReadAheadMessage) => {
          this.take(message);
          if (this.done) finish();
        };
        this.port.on('message', onMessage);
        this.worker.on('exit', finish);
      });
      this.collect();
    }
    this.stop();
    if (!this.done && this.strict) throw new Error(`read-ahead: the thread ended before it had read every run folder${this.failure ? ` (${this.failure.message})` : ''}`);
    return this.done ? this.found : undefined;
  }

  /** Stops the thread (the plan is done or failed). */
  stop(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

/** Starts the thread that runs read-ahead-worker.ts with these data. */
export type WorkerStart = (input: ReadAheadInput & { port: MessagePort }, transferList: MessagePort[]) => Worker;

/**
 * From how many runs reading ahead pays. The no-op plan, with and without
 * it (alternated pairs, this project's 2-core test machine): 2,000 runs
 * 0.29 s against 0.26 s; 10,000 runs 0.60 s both; 30,000 runs 1.37 s
 * against 1.51 s; 100,000 runs 4.1 s against 5.0 s. The machine's two cores
 * share one physical core, so the threads slow each other down: below some
 * 20,000 runs the thread's start and the contention cost what it saves.
 */
export const READ_AHEAD_FROM_RUNS = 20_000;

/**
 * Starts reading the ensemble's run folders on another thread, when that
 * pays: the whole ensemble is planned (a `--target` plan reads a few runs),
 * it has at least READ_AHEAD_FROM_RUNS runs, and the process can use two
 * CPUs at once (util/cpus.ts: affinity and cgroup quotas, as login nodes
 * set per user). On one, the threads only take turns: a no-op plan of
 * 100,000 runs under `taskset -c 0` took 7.4 s with the thread, 5.4 s
 * without. Undefined otherwise.
 */
export function startReadAhead(spec: EnsembleSpec, targeted: boolean, startWith?: WorkerStart, cpus?: number): ReadAhead | undefined {
  const test = testSetting();
  if (targeted) return undefined;
  let runs = 0;
  for (const batch of spec.batches) runs += batch.runs.length;
  if (runs < (test ?? READ_AHEAD_FROM_RUNS)) return undefined;
  if ((cpus ?? usableCpus()) < 2) return undefined;
  const strict = test !== undefined;
  const start = startWith ?? workerStart();
  if (!start) {
    if (strict) throw new Error('read-ahead: no code to start the thread with');
    return undefined;
  }
  try {
    return new ReadAhead({ basedirs: [...new Set(spec.batches.map((b) => b.basedir))] }, start, strict);
  } catch (err) {
    // A thread that cannot start (too many threads, too little memory) is only a slower plan.
    if (strict) throw err;
    return undefined;
  }
}

/**
 * With MENSEMBLE_TEST_READ_AHEAD_FROM=<runs>, tests read ahead from that
 * many runs, and a thread that cannot start or fails is an error instead of
 * a slower plan: so a test sees that the thread ran. Never set outside tests.
 */
function testSetting(): number | undefined {
  const setting = process.env.MENSEMBLE_TEST_READ_AHEAD_FROM;
  return setting === undefined ? undefined : Number(setting);
}

/**
 * How to start the thread: the code the single file carries, or the
 * compiled module beside this one. None from the TypeScript sources: Node 20
 * does not pass tsx's loader on to threads (the unit test starts it itself).
 */
function workerStart(): WorkerStart | undefined {
  // A small young generation: the thread keeps nothing, and its default one added 40 MB to a plan's peak memory.
  const resourceLimits = { maxYoungGenerationSizeMb: 8 };
  const code = embedded()?.readAheadWorkerCode;
  if (code) return (workerData, transferList) => new Worker(code, { eval: true, workerData, transferList, resourceLimits });
  const url = new URL('./read-ahead-worker.js', import.meta.url);
  return fs.existsSync(fileURLToPath(url)) ? (workerData, transferList) => new Worker(url, { workerData, transferList, resourceLimits }) : undefined;
}
