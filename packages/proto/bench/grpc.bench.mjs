// Unary gRPC over loopback HTTP/2 with our server and client factories: LaunchFrame with a realistic
// RunFrame (as Cuebot sends it) and ReportStatus with a HostReport of 20 running frames.
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
import { bindService, create, createGrpcServer, createRpcClient, RqdInterface, RqdReportInterface, RunFrameSchema } from "../dist/index.js";

const frame = create(RunFrameSchema, {
  resourceId: randomUUID(), jobId: randomUUID(), jobName: "show-shot-lighting_v012", frameId: randomUUID(),
  frameName: "0101-render", layerId: randomUUID(), command: "/shows/x/bin/render -f 101 -l render /shows/x/scene.ma",
  userName: "artist", logDir: "/shows/x/logs/job", show: "x", shot: "shot010", frameTempDir: "/tmp/frame", startTime: BigInt(Date.now()),
  uidOptional: { case: "uid", value: 1234 }, numCores: 800, gid: 20, environment: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`VAR_${i}`, `value-${i}`])),
  softMemoryLimit: 8n * 1024n * 1024n, hardMemoryLimit: 16n * 1024n * 1024n,
});
const hostReport = {
  host: { name: "render-001", facility: "local", numProcs: 2, coresPerProc: 1600, totalMem: 256n * 1048576n, freeMem: 100n * 1048576n, tags: ["general", "linux"] },
  frames: Array.from({ length: 20 }, () => ({ frameId: randomUUID(), jobName: "job", frameName: "0001-render", numCores: 100, rss: 1048576n, maxRss: 2097152n })),
  coreInfo: { totalCores: 3200, idleCores: 1200, bookedCores: 2000 },
};

const server = await createGrpcServer({
  services: [
    bindService(RqdInterface, { launchFrame: () => ({}) }),
    bindService(RqdReportInterface, { reportStatus: () => ({}) }),
  ],
});
const rqd = createRpcClient(RqdInterface, { host: "127.0.0.1", port: server.port });
const report = createRpcClient(RqdReportInterface, { host: "127.0.0.1", port: server.port });

async function measure(name, call, n, concurrency) {
  for (let i = 0; i < 200; i++) await call();
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) {
      const t = performance.now();
      await call();
      lat.push(performance.now() - t);
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  return `| ${name} | ${concurrency} | ${n} | ${q(0.5)} | ${q(0.9)} | ${q(0.99)} | ${Math.round(n / wall)} |`;
}

console.log("| call | concurrency | calls | p50 ms | p90 ms | p99 ms | calls/s |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
console.log(await measure("LaunchFrame (RunFrame, 30 env vars)", () => rqd.launchFrame({ runFrame: frame }), 2000, 1));
console.log(await measure("LaunchFrame (RunFrame, 30 env vars)", () => rqd.launchFrame({ runFrame: frame }), 5000, 32));
console.log(await measure("ReportStatus (HostReport, 20 frames)", () => report.reportStatus({ hostReport }), 2000, 1));
console.log(await measure("ReportStatus (HostReport, 20 frames)", () => report.reportStatus({ hostReport }), 5000, 32));
await server.close();
