// @opencue-ts/cuebot-db: typed access to Cuebot's PostgreSQL schema, our DDL for the subset the
// scheduler and report handling use, an embedded PostgreSQL, test databases and a farm model.
export type * from "./schema/tables.js";
export { cuebotColumns, type ColumnSpec, type CuebotTableName } from "./schema/columns.js";
export {
  checkSchema,
  assertSchema,
  describeSchemaProblems,
  CuebotSchemaError,
  type SchemaCheckResult,
  type MissingColumn,
  type TypeMismatch,
  type CheckSchemaOptions,
} from "./schema/check-schema.js";
export { cuebotMigrations, cuebotMigrationStatements, createCuebotMigrator, migrateCuebotDb, type MigrateResult } from "./migrations/migrations.js";
export {
  createCuebotDb,
  connectionTarget,
  pgPoolConfig,
  preparedStatement,
  redactPassword,
  CuebotDbConnectionError,
  type CuebotDbConfig,
  type ConnectionTarget,
} from "./connection.js";
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from "./embedded/embedded-postgres.js";
export { findFreePort } from "./embedded/free-port.js";
export { createTestDatabase, stopTestServer, type TestDatabase } from "./testing/test-database.js";
export {
  startTestServer,
  createTemplateDatabase,
  createDatabaseFromTemplate,
  dropDatabase,
  TEST_SERVER_URL_ENV,
  TEST_TEMPLATE_ENV,
  DEFAULT_TEMPLATE_DATABASE,
  type TestServer,
} from "./testing/test-server.js";
export {
  createFarm,
  type Farm,
  type FacilityRef,
  type DeptRef,
  type FolderRef,
  type ShowRef,
  type AllocRef,
  type SubscriptionRef,
  type LimitRef,
  type HostRef,
  type HostSpec,
  type HostLockState,
  type ThreadMode,
  type LayerSpec,
  type JobSpec,
  type DependencySpec,
  type DependencyType,
  type SubmittedJob,
  type SubmittedLayer,
} from "./farm/farm.js";
export { parseFrameSet, parseFrameRange, chunkFrames, frameName, FrameRangeError, MAX_FRAMES } from "./farm/frame-set.js";
export { coreUnits, gibToKb, mibToKb } from "./farm/units.js";
