/**
 * Builds the graph fixtures in data/graphs/ (run once; the outputs are committed, nothing is fetched at
 * run time):
 *
 *   apt-get install nauty rdkit-data   # Debian bookworm: nauty 2.8.6, rdkit-data 202209.3
 *   deno run -A tools/make-graph-fixtures.ts
 *
 * - graph8c.g6: `nauty-geng -c 8` (all 11,117 connected graphs on 8 vertices).
 * - srNKLM.g6: copied from ../shared/data/graphs (McKay's strongly regular graphs) when present.
 * - tpsa_first5k.tsv: /usr/share/RDKit/Data/NCI/first_5K.smi with first_5k.tpsa.csv (TPSA target).
 * - bzr_activity.tsv: /usr/share/RDKit/Projects/DbCLI/testData/bzr.sdf with its ACTIVITY field.
 *
 * Molecule lines: "graph6 <TAB> atoms <TAB> target" over heavy atoms (hydrogens dropped), atoms as
 * element symbols in vertex order (lower case = aromatic in the SMILES). Bond orders are not kept.
 *
 * @module
 */
import { Graph } from "../lib/graph/graph.ts";

const root = new URL("..", import.meta.url).pathname;
const out = `${root}data/graphs/`;
const RDKIT = "/usr/share/RDKit";

/** Heavy-atom graph of a SMILES string (organic subset, brackets, branches, ring closures, '.'). */
export function parseSmiles(smi: string): { atoms: string[]; edges: Array<[number, number]> } {
  const atoms: string[] = [], edges: Array<[number, number]> = [];
  const stack: number[] = [];
  const rings = new Map<number, number>();
  let prev = -1, i = 0;
  const two = ["Cl", "Br"];
  const organic = ["B", "C", "N", "O", "P", "S", "F", "I", "b", "c", "n", "o", "p", "s"];
  const addAtom = (sym: string) => {
    if (sym === "H") return -2; // explicit hydrogen atom: dropped with its bond
    const id = atoms.length;
    atoms.push(sym);
    if (prev >= 0) edges.push([prev, id]);
    return id;
  };
  while (i < smi.length) {
    const ch = smi[i];
    if (ch === "(") {
      stack.push(prev);
      i++;
    } else if (ch === ")") {
      if (!stack.length) throw new Error(`unbalanced ')' at ${i}`);
      prev = stack.pop()!;
      i++;
    } else if ("-=#:/\\~".includes(ch)) i++;
    else if (ch === ".") {
      prev = -1;
      i++;
    } else if (ch === "[") {
      const j = smi.indexOf("]", i);
      if (j < 0) throw new Error("unclosed '['");
      const m = /^\d*([A-Z][a-z]?|[a-z][a-z]?|\*)/.exec(smi.slice(i + 1, j));
      if (!m) throw new Error(`bad bracket atom ${smi.slice(i, j + 1)}`);
      const id = addAtom(m[1]);
      if (id !== -2) prev = id;
      i = j + 1;
    } else if (ch === "%" || (ch >= "0" && ch <= "9")) {
      const num = ch === "%" ? Number(smi.slice(i + 1, i + 3)) : Number(ch);
      i += ch === "%" ? 3 : 1;
      if (prev < 0) throw new Error(`ring bond without an atom at ${i}`);
      const open = rings.get(num);
      if (open === undefined) rings.set(num, prev);
      else {
        rings.delete(num);
        edges.push([open, prev]);
      }
    } else if (two.includes(smi.slice(i, i + 2))) {
      prev = addAtom(smi.slice(i, i + 2));
      i += 2;
    } else if (organic.includes(ch) || ch === "*") {
      prev = addAtom(ch);
      i++;
    } else throw new Error(`unexpected ${JSON.stringify(ch)} at ${i}`);
  }
  if (rings.size) throw new Error(`unclosed ring bonds ${[...rings.keys()]}`);
  return { atoms, edges };
}

function line(atoms: string[], edges: Array<[number, number]>, target: number): string {
  const g = Graph.fromEdges(atoms.length, edges);
  return `${g.toGraph6()}\t${atoms.join(",")}\t${target}`;
}

async function main() {
  // graph8c from nauty's geng
  const geng = await new Deno.Command("nauty-geng", { args: ["-c", "-q", "8"], stdout: "piped" }).output();
  if (!geng.success) throw new Error("nauty-geng failed: apt-get install nauty");
  await Deno.writeFile(`${out}graph8c.g6`, geng.stdout);
  // strongly regular families
  try {
    for (const e of Deno.readDirSync(`${root}../shared/data/graphs`)) {
      if (/^sr\d+\.g6$/.test(e.name)) {
        await Deno.copyFile(`${root}../shared/data/graphs/${e.name}`, `${out}${e.name}`);
      }
    }
  } catch {
    console.log("no ../shared/data/graphs: keeping the committed SR files");
  }
  // TPSA on the NCI first 5K
  const tpsa = (await Deno.readTextFile(`${RDKIT}/Data/NCI/first_5k.tpsa.csv`)).split("\n")
    .filter((l) => l && !l.startsWith("#"));
  const rows: string[] = [];
  let failed = 0;
  for (const l of tpsa) {
    const k = l.lastIndexOf(",");
    const smi = l.slice(0, k), y = Number(l.slice(k + 1));
    try {
      const { atoms, edges } = parseSmiles(smi);
      if (atoms.length < 2 || !Number.isFinite(y)) throw new Error("too small");
      rows.push(line(atoms, edges, y));
    } catch {
      failed++;
    }
  }
  await Deno.writeTextFile(`${out}tpsa_first5k.tsv`, rows.join("\n") + "\n");
  console.log(`tpsa_first5k.tsv: ${rows.length} molecules, ${failed} skipped`);
  // BZR activity from the SDF
  const sdf = await Deno.readTextFile(`${RDKIT}/Projects/DbCLI/testData/bzr.sdf`);
  const mols = sdf.split("$$$$").filter((b) => b.trim());
  const bz: string[] = [];
  let bzFailed = 0;
  for (const block of mols) {
    const ls = block.replace(/^\n/, "").split("\n");
    const ci = ls.findIndex((x) => x.includes("V2000"));
    const act = /<ACTIVITY>[^\n]*\n\s*([-\d.eE+]+)/.exec(block);
    if (ci < 0 || !act) {
      bzFailed++;
      continue;
    }
    const na = Number(ls[ci].slice(0, 3)), nb = Number(ls[ci].slice(3, 6));
    const elems = ls.slice(ci + 1, ci + 1 + na).map((x) => x.slice(31, 34).trim());
    const keep = new Map<number, number>();
    const atoms: string[] = [];
    elems.forEach((e, a) => {
      if (e !== "H") {
        keep.set(a, atoms.length);
        atoms.push(e);
      }
    });
    const edges: Array<[number, number]> = [];
    for (const b of ls.slice(ci + 1 + na, ci + 1 + na + nb)) {
      const a1 = Number(b.slice(0, 3)) - 1, a2 = Number(b.slice(3, 6)) - 1;
      if (keep.has(a1) && keep.has(a2)) edges.push([keep.get(a1)!, keep.get(a2)!]);
    }
    bz.push(line(atoms, edges, Number(act[1])));
  }
  await Deno.writeTextFile(`${out}bzr_activity.tsv`, bz.join("\n") + "\n");
  console.log(`bzr_activity.tsv: ${bz.length} molecules, ${bzFailed} skipped`);
}

if (import.meta.main) await main();
