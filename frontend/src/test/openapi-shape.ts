/**
 * A small validator for the JSON Schema subset FastAPI emits ($ref, anyOf, type, enum, required,
 * properties, items, additionalProperties, format date-time), stricter than OpenAPI in one way:
 * a property the schema does not name is an error, so fixtures cannot drift from the API.
 */
import openapi from "@/api/generated/openapi.json";

type Schema = Record<string, unknown>;

const components = (openapi as { components: { schemas: Record<string, Schema> } }).components
  .schemas;

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function check(value: unknown, schema: Schema, path: string, errors: string[]): void {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace("#/components/schemas/", "");
    const target = components[name];
    if (!target) {
      errors.push(`${path}: unknown $ref ${schema.$ref}`);
      return;
    }
    check(value, target, path, errors);
    return;
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as Schema[];
    const ok = branches.some((b) => {
      const e: string[] = [];
      check(value, b, path, e);
      return e.length === 0;
    });
    if (!ok) errors.push(`${path}: ${JSON.stringify(value)} matches no anyOf branch`);
    return;
  }
  if (Array.isArray(schema.enum) && !(schema.enum as unknown[]).includes(value)) {
    errors.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
    return;
  }
  const t = typeOf(value);
  const want = schema.type as string | undefined;
  if (want) {
    const matches = want === t || (want === "number" && t === "integer");
    if (!matches) {
      errors.push(`${path}: expected ${want}, got ${t}`);
      return;
    }
  }
  if (schema.format === "date-time" && typeof value === "string" && Number.isNaN(Date.parse(value))) {
    errors.push(`${path}: not a date-time: ${value}`);
  }
  if (t === "array" && schema.items) {
    (value as unknown[]).forEach((v, i) => {
      check(v, schema.items as Schema, `${path}[${i}]`, errors);
    });
  }
  if (t === "object" && schema.properties) {
    const obj = value as Record<string, unknown>;
    const props = schema.properties as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in obj)) errors.push(`${path}.${key}: required`);
    }
    for (const [key, v] of Object.entries(obj)) {
      const prop = props[key];
      if (!prop) errors.push(`${path}.${key}: not in the schema`);
      else check(v, prop, `${path}.${key}`, errors);
    }
  }
}

/** Errors of `value` against components.schemas[name] (an array of it when `list`). */
export function shapeErrors(value: unknown, name: string, list = false): string[] {
  const errors: string[] = [];
  const schema: Schema = { $ref: `#/components/schemas/${name}` };
  check(value, list ? { type: "array", items: schema } : schema, name, errors);
  return errors;
}
