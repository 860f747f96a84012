import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

/** What a message reads: its placeholders, and for each plural or select the options it offers. */
interface Shape {
  names: Set<string>;
  /** How each placeholder is read: plain, number, date, time, select, plural or selectordinal. */
  kinds: Map<string, string>;
  plurals: { name: string; options: string[]; ordinal: boolean }[];
  selects: { name: string; options: string[] }[];
}

function walk(nodes: MessageFormatElement[], shape: Shape): void {
  for (const node of nodes) {
    if (node.type === TYPE.literal || node.type === TYPE.pound) continue;
    if (node.type === TYPE.tag) {
      walk(node.children, shape);
      continue;
    }
    shape.names.add(node.value);
    const kind = node.type === TYPE.plural ? (node.pluralType === 'ordinal' ? 'selectordinal' : 'plural') : TYPE[node.type];
    if (!shape.kinds.has(node.value)) shape.kinds.set(node.value, kind);
    if (node.type === TYPE.plural) shape.plurals.push({ name: node.value, options: Object.keys(node.options), ordinal: node.pluralType === 'ordinal' });
    if (node.type === TYPE.select) shape.selects.push({ name: node.value, options: Object.keys(node.options) });
    if (node.type === TYPE.plural || node.type === TYPE.select) for (const option of Object.values(node.options)) walk(option.value, shape);
  }
}

/** Parses one ICU message the way the translator does (tags are text); throws when it is not valid ICU. */
export function messageShape(text: string): Shape {
  const shape: Shape = { names: new Set(), kinds: new Map(), plurals: [], selects: [] };
  walk(parse(text, { ignoreTag: true }), shape);
  return shape;
}

export interface MessageIssue {
  kind: 'invalid' | 'placeholderMissing' | 'placeholderExtra' | 'placeholderKind' | 'pluralOther' | 'pluralCategory' | 'select';
  /** The placeholder, plural or select concerned. */
  name?: string;
  detail: string;
}

/**
 * What is wrong with one message of a language against its English original: not valid ICU, a
 * placeholder added or lost, a plural without `other` or with a category the language does not
 * have, a select whose options differ. Empty: the message is safe to show. (A translation file's
 * check, and an administrator's own wording, src/wording/.)
 */
export function messageIssues(lang: string, text: string, source: string): MessageIssue[] {
  let shape: Shape;
  try {
    shape = messageShape(text);
  } catch (e) {
    return [{ kind: 'invalid', detail: `not valid ICU MessageFormat (${(e as Error).message})` }];
  }
  const issues: MessageIssue[] = [];
  const cardinal = new Set<string>(new Intl.PluralRules(lang).resolvedOptions().pluralCategories);
  const ordinal = new Set<string>(new Intl.PluralRules(lang, { type: 'ordinal' }).resolvedOptions().pluralCategories);
  const want = messageShape(source);
  for (const name of want.names) if (!shape.names.has(name)) issues.push({ kind: 'placeholderMissing', name, detail: `placeholder {${name}} is missing` });
  for (const name of shape.names) if (!want.names.has(name)) issues.push({ kind: 'placeholderExtra', name, detail: `placeholder {${name}} is not in the English message` });
  // Read the same way: a count stays a count, a plain value is not read as a date or a number.
  for (const [name, kind] of shape.kinds) {
    const english = want.kinds.get(name);
    if (english && english !== kind && !(english === 'plural' && kind === 'number') && !(english === 'number' && kind === 'plural')) issues.push({ kind: 'placeholderKind', name, detail: `placeholder {${name}} is read as ${kind}, in English as ${english}` });
  }
  for (const plural of shape.plurals) {
    if (!plural.options.includes('other')) issues.push({ kind: 'pluralOther', name: plural.name, detail: `plural {${plural.name}} has no "other" form` });
    const categories = plural.ordinal ? ordinal : cardinal;
    for (const option of plural.options) {
      if (!option.startsWith('=') && !categories.has(option)) issues.push({ kind: 'pluralCategory', name: plural.name, detail: `plural {${plural.name}} uses "${option}", which ${lang} does not have (it has ${[...categories].join(', ')})` });
    }
  }
  for (const select of shape.selects) {
    const english = want.selects.find((s) => s.name === select.name);
    if (english && [...english.options].sort().join('|') !== [...select.options].sort().join('|')) issues.push({ kind: 'select', name: select.name, detail: `select {${select.name}} must keep the options ${english.options.join(', ')}` });
  }
  return issues;
}

/**
 * The problems of one language's catalogue against the English one, in words a translator can act
 * on: a missing or unknown key, an empty message, and each message's issues (messageIssues). An
 * empty list means the catalogue is complete and safe to load.
 */
export function catalogueProblems(lang: string, messages: Record<string, unknown>, english: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(english)) if (!Object.hasOwn(messages, key)) problems.push(`${key}: missing`);
  for (const [key, text] of Object.entries(messages)) {
    const source = english[key];
    if (source === undefined) {
      problems.push(`${key}: not a key of the English catalogue`);
      continue;
    }
    if (typeof text !== 'string' || text.trim() === '') {
      problems.push(`${key}: empty`);
      continue;
    }
    for (const issue of messageIssues(lang, text, source)) problems.push(`${key}: ${issue.detail}`);
  }
  return problems;
}
