/** JSON value types and the depth limit shared with Python. */

/** Most nested arrays/objects a value may have, counting the outermost container. */
export const MAX_DEPTH = 128;

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}
