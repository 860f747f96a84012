/** Strings of the reports page; merged into the English catalogue. */
export const reportMessages = {
} as const;
