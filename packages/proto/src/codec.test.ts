import {
  create,
  equals,
  fromBinary,
  isFieldSet,
  toBinary,
  fromJson,
  toJson,
  type DescMessage,
  type Message,
} from "@bufbuild/protobuf";
import { FrameCompleteReportSchema, HostReportSchema, RunningFrameInfoSchema } from "./gen/report_pb.js";
import { RunFrameSchema } from "./gen/rqd_pb.js";
import { frameCompleteReport, hostReport, runFrame } from "./__fixtures__/messages.js";

/** Names of fields left at their default, recursing into set message fields: proves a fixture is "fully populated". */
function unsetFields(schema: DescMessage, msg: Message, path = schema.typeName): string[] {
  const out: string[] = [];
  for (const field of schema.fields) {
    if (!isFieldSet(msg, field)) {
      out.push(`${path}.${field.name}`);
      continue;
    }
    const value = (msg as unknown as Record<string, unknown>)[field.localName];
    if (field.fieldKind === "message") out.push(...unsetFields(field.message, value as Message, `${path}.${field.name}`));
    if (field.fieldKind === "list" && field.listKind === "message") {
      out.push(...unsetFields(field.message, (value as Message[])[0]!, `${path}.${field.name}[0]`));
    }
  }
  return out;
}

describe("round trips of fully populated messages", () => {
  const cases = [
    { name: "RunFrame", schema: RunFrameSchema, make: runFrame },
    { name: "HostReport", schema: HostReportSchema, make: hostReport },
    { name: "FrameCompleteReport", schema: FrameCompleteReportSchema, make: frameCompleteReport },
  ] as const;

  test.each(cases)("$name fixture sets every field, nested ones included", ({ schema, make }) => {
    expect(unsetFields(schema, make())).toEqual([]);
  });

  test.each(cases)("$name survives binary encode/decode unchanged", ({ schema, make }) => {
    const original = make();
    const decoded = fromBinary(schema as DescMessage, toBinary(schema as DescMessage, original));
    expect(equals(schema as DescMessage, decoded, original)).toBe(true);
    expect(toJson(schema as DescMessage, decoded)).toEqual(toJson(schema as DescMessage, original));
  });

  test.each(cases)("$name survives JSON encode/decode unchanged", ({ schema, make }) => {
    const original = make();
    const decoded = fromJson(schema as DescMessage, toJson(schema as DescMessage, original));
    expect(equals(schema as DescMessage, decoded, original)).toBe(true);
  });

  test("RunFrame keeps int64 beyond 2^53, maps, oneof uid=0 and nested children", () => {
    const decoded = fromBinary(RunFrameSchema, toBinary(RunFrameSchema, runFrame()));
    expect(decoded.hardMemoryLimit).toBe(9_007_199_254_740_993n);
    expect(decoded.environment).toEqual({ PATH: "/usr/bin", CUE_THREADS: "1" });
    expect(decoded.uidOptional).toEqual({ case: "uid", value: 0 });
    expect(decoded.children?.children.map((c) => c.stat?.name)).toEqual(["blender", "sh"]);
    expect(decoded.children?.children[0]?.stat?.rss).toBe(9_007_199_254_740_993n);
  });

  test("HostReport keeps the deprecated int64-keyed reserved_cores map", () => {
    const decoded = fromBinary(HostReportSchema, toBinary(HostReportSchema, hostReport()));
    expect(Object.keys(decoded.coreInfo!.reservedCores).sort()).toEqual(["0", "1"]);
    expect(decoded.coreInfo!.reservedCores["0"]!.coreid).toEqual([0n, 1n, 9_007_199_254_740_993n]);
    expect(decoded.frames).toHaveLength(2);
  });

  test("a RunFrame without uid decodes with the oneof unset, unlike uid=0", () => {
    const decoded = fromBinary(RunFrameSchema, toBinary(RunFrameSchema, create(RunFrameSchema, { frameId: "x" })));
    expect(decoded.uidOptional.case).toBeUndefined();
  });
});

describe("known bytes", () => {
  // RunFrame{frame_id:"f1", uid:0 (present), num_cores:2, environment:{A:"b"}}, encoded by hand:
  //   field 4 LEN  tag 0x22, len 2, "f1"
  //   field 17 VARINT tag 17<<3=136 -> 0x88 0x01, value 0
  //   field 18 VARINT tag 144 -> 0x90 0x01, value 2
  //   field 21 LEN tag (21<<3)|2=170 -> 0xaa 0x01, len 6, entry {1:"A", 2:"b"} = 0a 01 41 12 01 62
  const expected = Uint8Array.from([
    0x22, 0x02, 0x66, 0x31, 0x88, 0x01, 0x00, 0x90, 0x01, 0x02, 0xaa, 0x01, 0x06, 0x0a, 0x01, 0x41, 0x12, 0x01, 0x62,
  ]);

  test("a small RunFrame encodes to the hand-computed bytes", () => {
    const frame = create(RunFrameSchema, {
      frameId: "f1",
      numCores: 2,
      uidOptional: { case: "uid", value: 0 },
      environment: { A: "b" },
    });
    expect(Buffer.from(toBinary(RunFrameSchema, frame)).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
  });

  test("the hand-computed bytes decode to that RunFrame", () => {
    const frame = fromBinary(RunFrameSchema, expected);
    expect(frame.frameId).toBe("f1");
    expect(frame.numCores).toBe(2);
    expect(frame.uidOptional).toEqual({ case: "uid", value: 0 });
    expect(frame.environment).toEqual({ A: "b" });
  });

  test("a RunningFrameInfo with rss 300 kB encodes int64 as a varint (field 10)", () => {
    const bytes = toBinary(RunningFrameInfoSchema, create(RunningFrameInfoSchema, { rss: 300n }));
    // 300 = 0b1_0010_1100 -> varint ac 02; tag (10<<3)|0 = 0x50
    expect(Buffer.from(bytes).toString("hex")).toBe("50ac02");
  });
});
