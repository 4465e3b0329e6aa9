// connect-node 2.1.2's Http2SessionManager can destroy an idle client session on a GOAWAY (Cuebot
// restarting) after its own error listener is gone, so the session's "error" event is unhandled and
// would end the process. The agent must survive Cuebot restarts, so exactly that error is recognised
// and only logged; every other uncaught exception still ends the process.
import { ConnectError } from "@opencue-ts/proto";

const BENIGN = ["received GOAWAY without any open streams"];

export function isBenignSessionError(err: unknown): boolean {
  return err instanceof ConnectError && BENIGN.includes(err.rawMessage);
}
