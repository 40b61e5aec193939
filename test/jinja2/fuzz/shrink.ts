// Shrinks a case that differs to a small one that still differs: fields
// dropped, template nodes replaced by one of their children or by nothing,
// as long as the difference stays (greedy, to a fixed point).
import { Node, type Case } from './grammar.js';

type Candidate = Pick<Case, 'fields' | 'prelude' | 'body'>;

/** Every node of the tree with the path (child indices) that reaches it, the root first. */
function nodes(root: Node, at: number[] = []): Array<{ node: Node; path: number[] }> {
  return [{ node: root, path: at }, ...root.kids.flatMap((kid, i) => nodes(kid, [...at, i]))];
}

function replaceAt(root: Node, path: readonly number[], by: Node): Node {
  if (path.length === 0) return by;
  const [first, ...rest] = path as [number, ...number[]];
  return root.withKid(first, replaceAt(root.kids[first]!, rest, by));
}

const EMPTY = new Node([]);

export async function shrink(c: Candidate, differs: (c: Candidate) => Promise<boolean>, budget = 400): Promise<Candidate> {
  let best: Candidate = { fields: [...c.fields], prelude: c.prelude, body: c.body };
  let tries = 0;
  const attempt = async (next: Candidate) => {
    if (++tries > budget) return false;
    if (!(await differs(next))) return false;
    best = next;
    return true;
  };
  for (let changed = true; changed && tries <= budget; ) {
    changed = false;
    // Smaller templates first: a node replaced by one of its children, or removed.
    for (const { node, path } of nodes(best.body)) {
      let done = false;
      for (const kid of [EMPTY, ...node.kids]) {
        if (kid === node || (kid === EMPTY && path.length === 0)) continue;
        if (await attempt({ ...best, body: replaceAt(best.body, path, kid) })) {
          done = true;
          break;
        }
      }
      if (done) {
        changed = true;
        break;
      }
    }
    if (changed) continue;
    // Then fewer fields (a merged mapping's anchors stay while it does: an alias needs its anchor).
    for (let i = 0; i < best.fields.length; i++) {
      const fields = best.fields.filter((_, j) => j !== i);
      if (await attempt({ ...best, fields })) {
        changed = true;
        break;
      }
    }
  }
  return best;
}
