// Generated OpenCue messages, enums and services (packages host, report, rqd).
export * from "./gen/host_pb.js";
export * from "./gen/report_pb.js";
export * from "./gen/rqd_pb.js";

// The protobuf runtime and connect types that go with the generated code, so that consumers use one copy.
export {
  create,
  clone,
  equals,
  fromBinary,
  toBinary,
  fromJson,
  toJson,
  fromJsonString,
  toJsonString,
  isMessage,
} from "@bufbuild/protobuf";
export type {
  DescMessage,
  DescService,
  JsonValue,
  Message,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
export { Code, ConnectError, createClient } from "@connectrpc/connect";
export type {
  CallOptions,
  Client,
  ConnectRouter,
  HandlerContext,
  Interceptor,
  ServiceImpl,
  Transport,
} from "@connectrpc/connect";

export {
  bindService,
  createGrpcServer,
  type GrpcServer,
  type GrpcServerOptions,
  type GrpcServerTls,
  type ServiceBinding,
} from "./grpc-server.js";
export {
  createRpcClient,
  createRpcTransport,
  type RpcClientTls,
  type RpcConnectionOptions,
  type RpcTransport,
} from "./grpc-client.js";
export { networkErrorCode } from "./network-errors.js";
