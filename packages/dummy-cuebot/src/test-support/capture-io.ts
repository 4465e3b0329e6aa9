import type { CliIo } from "../cli.js";
import type { RunFrameEnvironment } from "../run-frame.js";

export const fixedRunFrameEnv: RunFrameEnvironment = (() => {
  let n = 0;
  return {
    now: () => 1_700_000_000_123,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    user: () => ({ username: "artist", uid: 1234, gid: 567 }),
    tmpDir: "/tmp",
  };
})();

export interface Captured extends CliIo {
  readonly out: () => string;
  readonly err: () => string;
}

export function captureIo(extra: Partial<CliIo> = {}): Captured {
  let out = "";
  let err = "";
  return {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    runFrameEnv: fixedRunFrameEnv,
    ...extra,
    out: () => out,
    err: () => err,
  };
}
