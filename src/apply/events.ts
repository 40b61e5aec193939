/** What apply tells the user as it goes; the UI decides how to show it (plain lines or JSON). */
export interface ApplyEvent {
  /** `render`, `task`, `submit`, `adopt`, `job`, `retry`, `done`, `batch`, `ensemble`, `remove`, `warn`. */
  kind: string;
  batch?: string;
  runId?: string;
  message: string;
  /** Job state and exit code where the event concerns a job. */
  state?: string;
  exitCode?: number | null;
  jobId?: string;
}

export type Reporter = (event: ApplyEvent) => void;
