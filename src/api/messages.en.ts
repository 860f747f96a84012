/** Strings of the JSON API and API tokens; merged into the English catalogue. */
export const apiMessages = {
} as const;
