import { createRegistry, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { file_host } from "./gen/host_pb.js";
import { file_report } from "./gen/report_pb.js";
import { file_rqd } from "./gen/rqd_pb.js";
import { enums, messages, services } from "./__fixtures__/wire-contract.js";

const registry = createRegistry(file_rqd, file_report, file_host);
const files = [file_rqd, file_report, file_host];

function scalarName(t: ScalarType): string {
  return ScalarType[t].toLowerCase();
}

/** Renders a generated field in the reference's notation, so the comparison is one string per field. */
function typeOf(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return scalarName(field.scalar);
    case "enum":
      return field.enum.typeName;
    case "message":
      return field.message.typeName;
    case "list":
      switch (field.listKind) {
        case "scalar":
          return `repeated ${scalarName(field.scalar)}`;
        case "enum":
          return `repeated ${field.enum.typeName}`;
        case "message":
          return `repeated ${field.message.typeName}`;
      }
      break;
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? scalarName(field.scalar)
          : field.mapKind === "enum"
            ? field.enum.typeName
            : field.message.typeName;
      return `map<${scalarName(field.mapKey)},${value}>`;
    }
  }
  throw new Error("unexpected field kind");
}

function noteOf(field: DescField): string {
  if (field.oneof) return `oneof ${field.oneof.name}`;
  return field.deprecated ? "deprecated" : "";
}

function allMessages(): DescMessage[] {
  const out: DescMessage[] = [];
  const visit = (m: DescMessage): void => {
    out.push(m);
    m.nestedMessages.forEach(visit);
  };
  files.forEach((f) => f.messages.forEach(visit));
  return out;
}

describe("wire contract: messages", () => {
  test("the generated files declare exactly the reference's messages", () => {
    const generated = allMessages().map((m) => m.typeName).sort();
    expect(generated).toEqual(Object.keys(messages).sort());
  });

  const cases = Object.entries(messages).map(([typeName, rows]) => ({ typeName, rows }));
  test.each(cases)("$typeName: every field has the reference number, name, type and oneof", ({ typeName, rows }) => {
    const desc = registry.getMessage(typeName);
    expect(desc).toBeDefined();
    const actual = desc!.fields.map((f) => [f.number, f.name, typeOf(f), noteOf(f)]);
    const byNumber = (a: readonly unknown[], b: readonly unknown[]): number => (a[0] as number) - (b[0] as number);
    expect([...actual].sort(byNumber)).toEqual(rows.map((r) => [...r]).sort(byNumber));
  });

  test("Stat fields are declared in number order (rss, vsize, state, name, pid, pss)", () => {
    const stat = registry.getMessage("report.Stat")!;
    expect(stat.fields.map((f) => f.name)).toEqual(["rss", "vsize", "state", "name", "pid", "pss"]);
  });

  test("RunFrame.uid is the only member of oneof uid_optional", () => {
    const runFrame = registry.getMessage("rqd.RunFrame")!;
    expect(runFrame.oneofs.map((o) => [o.name, o.fields.map((f) => f.name)])).toEqual([["uid_optional", ["uid"]]]);
  });
});

describe("wire contract: services", () => {
  test("the generated files declare exactly the reference's services", () => {
    const generated = files.flatMap((f) => f.services.map((s) => s.typeName)).sort();
    expect(generated).toEqual(Object.keys(services).sort());
  });

  test.each(Object.entries(services))("%s: methods, request and response types are the reference's", (typeName, rows) => {
    const desc = registry.getService(typeName)!;
    const actual = desc.methods.map((m) => [m.name, m.input.typeName, m.output.typeName, m.methodKind]);
    expect(actual).toEqual(rows.map((r) => [...r, "unary"]));
  });
});

describe("wire contract: enums", () => {
  test.each(Object.entries(enums))("%s has the reference's values", (typeName, values) => {
    const desc = registry.getEnum(typeName)!;
    expect(desc.values.map((v) => [v.name, v.number])).toEqual(values.map((v) => [...v]));
  });

  test("the generated files declare exactly the reference's enums", () => {
    expect(files.flatMap((f) => f.enums.map((e) => e.typeName)).sort()).toEqual(Object.keys(enums).sort());
  });

  test("the files keep OpenCue's proto package names", () => {
    expect(files.map((f) => [f.name, f.proto.package])).toEqual([
      ["rqd", "rqd"],
      ["report", "report"],
      ["host", "host"],
    ]);
  });
});
