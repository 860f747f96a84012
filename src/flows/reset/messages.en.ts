/** Strings of the reset and unlock flows and their emails; merged into the English catalogue. */
export const resetMessages = {
} as const;
