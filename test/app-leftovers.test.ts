// What the app decides outside a page: the messages of its fields (src/app/state.ts, labels in
// src/app/panel.ts).
import { describe, expect, test } from 'vitest';
import { kTextFields, type TextKey } from '../src/app/panel.ts';
import { kQueryKeys, parametersFromQuery, type Parameters } from '../src/app/state.ts';

describe('every field refuses a bad value in the words of its twins', () => {
  /** Values some field refuses: a word, nothing, a negative, zero, fractions, under- and overflow, a list. */
  const kBadTexts = ['abc', '', '-1', '0', '0.5', '2.5', '1e-400', '1e400', '1e12', '7,x'];
  const kVerb = / (needs|must|is) /;

  test.each(kQueryKeys)('%s', (query) => {
    const messages: { key: keyof Parameters; text: string; message: string }[] = [];
    for (const text of kBadTexts) {
      const { errors } = parametersFromQuery(`?${query}=${encodeURIComponent(text)}`);
      const entries = Object.entries(errors) as [keyof Parameters, string][];
      expect(entries.length).toBeLessThanOrEqual(1);
      for (const [key, message] of entries) messages.push({ key, text, message });
    }
    // Every field has something to refuse, so none slips through the rule below.
    expect(messages.length).toBeGreaterThan(0);
    for (const { key, text, message } of messages) {
      const verb = kVerb.exec(message);
      expect(verb, message).not.toBeNull();
      const name = message.slice(0, verb!.index);
      if (key in kTextFields) {
        // A typed field: named by words of its panel label ('N' of 'N electrons'), never by a key,
        // and the panel's own parser says the same as the link.
        const spec = kTextFields[key as TextKey];
        const labelWords = spec.label.split(/[\s()]+/);
        const nameWords = name.split(' ');
        const at = labelWords.findIndex((_, i) => nameWords.every((word, j) => labelWords[i + j] === word));
        expect(at, `"${name}" in "${spec.label}"`).toBeGreaterThanOrEqual(0);
        expect(() => spec.parse(text)).toThrow(message);
      } else {
        // A choice (a select, the check box, the slider): only a link gets it wrong, named by its key.
        expect(name).toBe(query);
      }
      // The value refused: quoted where the message says it is no number (or no choice), bare where
      // it is a number; in a list, the element refused.
      const got = /, got (.*?)( \(did you mean \w+\?\))?$/.exec(message);
      expect(got, message).not.toBeNull();
      const refused = got![1];
      const parts = [text, ...text.split(',')];
      if (/needs (a )?finite numbers?|must be one of/.test(message)) {
        expect(parts.map((part) => `'${part}'`)).toContain(refused);
      } else {
        expect(refused, message).not.toMatch(/^'/);
        expect(parts.map(Number)).toContain(Number(refused));
      }
    }
  });
});
