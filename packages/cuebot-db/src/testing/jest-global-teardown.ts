// jest globalTeardown paired with jest-global-setup: stops the shared server and removes its data.
import { stopGlobalTestServer } from "./jest-global-setup.js";

export default async function globalTeardown(): Promise<void> {
  await stopGlobalTestServer();
}
