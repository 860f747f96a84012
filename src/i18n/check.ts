import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';

/** What a message reads: its placeholders, and for each plural or select the options it offers. */
interface Shape {
  names: Set<string>;
  plurals: { name: string; options: string[] }[];
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
    if (node.type === TYPE.plural) shape.plurals.push({ name: node.value, options: Object.keys(node.options) });
    if (node.type === TYPE.select) shape.selects.push({ name: node.value, options: Object.keys(node.options) });
    if (node.type === TYPE.plural || node.type === TYPE.select) for (const option of Object.values(node.options)) walk(option.value, shape);
  }
}

/** Parses one ICU message the way the translator does (tags are text); throws when it is not valid ICU. */
export function messageShape(text: string): Shape {
  const shape: Shape = { names: new Set(), plurals: [], selects: [] };
  walk(parse(text, { ignoreTag: true }), shape);
  return shape;
}

/**
 * The problems of one language's catalogue against the English one, in words a translator can act
 * on: a missing or unknown key, a message that is not valid ICU, a placeholder added or lost, a
 * plural without `other` or with a category the language does not have, a select whose options
 * differ from the English ones. An empty list means the catalogue is complete and safe to load.
 */
export function catalogueProblems(lang: string, messages: Record<string, unknown>, english: Record<string, string>): string[] {
  const problems: string[] = [];
  const categories = new Set<string>(new Intl.PluralRules(lang).resolvedOptions().pluralCategories);
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
    let shape: Shape;
    try {
      shape = messageShape(text);
    } catch (e) {
      problems.push(`${key}: not valid ICU MessageFormat (${(e as Error).message})`);
      continue;
    }
    const want = messageShape(source);
    for (const name of want.names) if (!shape.names.has(name)) problems.push(`${key}: placeholder {${name}} is missing`);
    for (const name of shape.names) if (!want.names.has(name)) problems.push(`${key}: placeholder {${name}} is not in the English message`);
    for (const plural of shape.plurals) {
      if (!plural.options.includes('other')) problems.push(`${key}: plural {${plural.name}} has no "other" form`);
      for (const option of plural.options) {
        if (!option.startsWith('=') && !categories.has(option)) problems.push(`${key}: plural {${plural.name}} uses "${option}", which ${lang} does not have (it has ${[...categories].join(', ')})`);
      }
    }
    for (const select of shape.selects) {
      const english = want.selects.find((s) => s.name === select.name);
      if (english && english.options.join('|') !== select.options.join('|')) problems.push(`${key}: select {${select.name}} must keep the options ${english.options.join(', ')}`);
    }
  }
  return problems;
}
