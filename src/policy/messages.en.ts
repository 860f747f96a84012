/** Strings of the SSPR policy (admin console pages, validation of policy documents); merged into the English catalogue. */
export const policyMessages = {
} as const;
