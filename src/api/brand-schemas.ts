import { z } from 'zod';
import { logoPath } from '../branding/brand.js';
import type { BrandVersion } from '../branding/brand-service.js';

/** Bodies and answers of /api/v1/brand (src/api/brand-routes.ts), described in the OpenAPI document. */

const colour = z.string().describe('#rrggbb');
const footerLink = z.object({ label: z.string(), url: z.string().describe('https:// address') });

export const brandJsonSchema = z.object({
  version: z.number().int().describe('0: nothing saved yet, the brand of sspr.yaml'),
  changedAt: z.iso.datetime().nullable(),
  changedBy: z.string().nullable(),
  brand: z.object({
    organisationName: z.string(),
    logo: z.object({ url: z.string().describe('Where pages and mails load it from, relative to the portal'), sha256: z.string(), kind: z.enum(['png', 'jpg', 'webp', 'svg']) }).nullable(),
    primaryColour: colour,
    backgroundColour: colour,
    signInMessage: z.string().nullable(),
    helpdesk: z.string().nullable().describe('A web address or an email address'),
    footerLinks: z.array(footerLink),
  }),
});
export const brandVersionListJsonSchema = z.object({ items: z.array(brandJsonSchema) });

export const brandChangeBody = z.strictObject({
  /** PUT: the whole brand; PATCH: only the fields given, the rest as saved. Checked field by field (contrast included). */
  brand: z
    .strictObject({
      organisationName: z.string().max(2000).optional(),
      primaryColour: z.string().max(50).optional(),
      backgroundColour: z.string().max(50).optional(),
      signInMessage: z.string().max(5000).nullable().optional(),
      helpdesk: z.string().max(2000).nullable().optional(),
      footerLinks: z.array(z.object({ label: z.string().max(500), url: z.string().max(1000) })).max(50).optional(),
    })
    .describe('Colours must keep a contrast of 4.5:1 with the text on and under them; a refused colour is answered with the ratio and a colour that passes'),
  /** Absent: the logo stays; null: no logo; data: a new one. */
  logo: z
    .strictObject({ data: z.string().max(360_000).describe('The image file in base64: PNG, JPEG, WebP or SVG (no scripts), at most 256 KiB and 1024 × 1024 pixels') })
    .nullable()
    .optional(),
  expectedVersion: z.number().int().min(0).optional(),
});

export type BrandJson = z.output<typeof brandJsonSchema>;

export function brandJson(v: BrandVersion): BrandJson {
  const b = v.brand;
  return {
    version: v.version,
    changedAt: v.changedAt === null ? null : new Date(v.changedAt).toISOString(),
    changedBy: v.changedBy,
    brand: { ...b, logo: b.logo ? { url: logoPath(b.logo), sha256: b.logo.sha256, kind: b.logo.kind } : null, footerLinks: b.footerLinks.map((l) => ({ ...l })) },
  };
}

export const brandRequestSchemas = { BrandChangeRequest: brandChangeBody };
export const brandResponseSchemas = { Brand: brandJsonSchema, BrandVersionList: brandVersionListJsonSchema };
