import type { Config } from '../config/schema.js';
import type { Brand } from './brand.js';

export const DEFAULT_BACKGROUND = '#f6f7f9';

/** The brand a new installation starts with: the organisation name, colour and helpdesk of sspr.yaml's `branding`. */
export function initialBrand(branding: Config['branding']): Brand {
  const helpdesk = branding.helpdesk?.trim() ?? '';
  const usable = /^https:\/\/[^\s]+$/i.test(helpdesk) || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(helpdesk);
  return {
    organisationName: branding.organisationName,
    logo: null,
    primaryColour: branding.primaryColour.toLowerCase(),
    backgroundColour: DEFAULT_BACKGROUND,
    signInMessage: null,
    helpdesk: usable ? helpdesk : null,
    footerLinks: [],
  };
}
