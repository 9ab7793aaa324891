import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RBAC_RULES, rbacMarkdownTable } from './rbac.ts';

const normalise = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('RBAC documentation cannot drift', () => {
  it('docs/install.md holds the permissions table generated from the rules', () => {
    const docs = readFileSync(new URL('../../docs/install.md', import.meta.url), 'utf8');
    assert.ok(docs.includes(rbacMarkdownTable()), 'paste the output of rbacMarkdownTable() into docs/install.md');
  });

  it("the chart's RBAC template states each rule's reason as a comment", () => {
    const template = readFileSync(new URL('../../deploy/helm/lifeboat/templates/rbac.yaml', import.meta.url), 'utf8');
    const comments = normalise(
      template
        .split('\n')
        .filter((l) => l.trim().startsWith('#'))
        .map((l) => l.trim().replace(/^#\s?/, ''))
        .join(' '),
    );
    for (const rule of RBAC_RULES) {
      const why = normalise(rule.why).replaceAll('’', "'");
      assert.ok(comments.includes(why), `rbac.yaml lacks: ${why}`);
    }
  });

  it('every rule says why; no rule grants a wildcard', () => {
    for (const rule of RBAC_RULES) {
      assert.ok(rule.why.length > 20);
      assert.ok(![...rule.apiGroups, ...rule.resources, ...rule.verbs].includes('*'));
    }
  });
});
