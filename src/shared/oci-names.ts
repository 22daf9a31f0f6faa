/**
 * The grammar of repository names and tags in the distribution spec: the one definition the registry (which
 * enforces it on every request) and the operator (which admits Repository paths) both read.
 */

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Names longer than this are refused: many clients cap `host[:port]/name` at 255 characters. */
export const MAX_NAME_LENGTH = 200;

export function isValidName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}
