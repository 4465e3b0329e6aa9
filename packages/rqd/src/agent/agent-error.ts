/** Why the agent could not start; `key` names the config key to fix when there is one. */
export type AgentErrorCode = "config" | "bind" | "metrics" | "state-dir" | "host";

export class AgentError extends Error {
  constructor(message: string, readonly code: AgentErrorCode, readonly key: string | null = null) {
    super(key ? `${key}: ${message}` : message);
    this.name = "AgentError";
  }
}
