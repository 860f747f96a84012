/** The default branch of an exhaustive switch: a new state or event the compiler did not see handled. */
export function assertNever(x: never): never {
  throw new Error(`unhandled: ${JSON.stringify(x)}`);
}
