import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanup, ranProject, rowsJsonl } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => cleanup(...dirs));

describe("a command's inputs", () => {
  it("are handed over under the names the command writes, even when two datasets are one node", async () => {
    // d1 and d2 are the same expression, so one node, named after d1; `use` reads it as d2.
    const dir = await ranProject("cmd-inputs", {
      "p.sc": `dataset rows = jsonl("rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
dataset d1 = rows | where q >= 3
dataset d2 = rows | where q >= 3
stage first : command { run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_D1\\" > a.txt"]  inputs = [d1]  outputs = ["a.txt"] }
stage use : command { run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_D2\\" > b.txt"]  inputs = [d2]  outputs = ["b.txt"] }
`,
      "rows.jsonl": rowsJsonl(),
    });
    dirs.push(dir);
    const a = readFileSync(path.join(dir, "a.txt"), "utf8").trim();
    expect(Number(a)).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, "b.txt"), "utf8").trim()).toBe(a);
  });

  it("written in place, each has a variable of its own, numbered by its place in the list", async () => {
    const dir = await ranProject("cmd-inline", {
      "p.sc": `dataset rows = jsonl("rows.jsonl", rows: 12, fields: ["id", "q", "topic", "text"])
stage one : command { run = ["sh", "-c", "wc -l < \\"$STAGECRAFT_INPUT_ONE_INPUTS\\" > one.txt"]  inputs = [rows | take(5)]  outputs = ["one.txt"] }
stage s : command {
  run = ["sh", "-c", "env | grep -o '^STAGECRAFT_INPUT_[A-Z0-9_]*' | sort > vars.txt; wc -l < \\"$STAGECRAFT_INPUT_S_INPUTS_0\\" > n.txt; wc -l < \\"$STAGECRAFT_INPUT_S_INPUTS_2\\" >> n.txt"]
  inputs = [rows | take(2), rows, rows | take(3)]
  outputs = ["vars.txt", "n.txt"]
}
`,
      "rows.jsonl": rowsJsonl(),
    });
    dirs.push(dir);
    expect(readFileSync(path.join(dir, "one.txt"), "utf8").trim()).toBe("5");
    expect(readFileSync(path.join(dir, "vars.txt"), "utf8").split("\n").filter(Boolean)).toEqual(["STAGECRAFT_INPUT_ROWS", "STAGECRAFT_INPUT_S_INPUTS_0", "STAGECRAFT_INPUT_S_INPUTS_2"]);
    expect(readFileSync(path.join(dir, "n.txt"), "utf8").split(/\s+/).filter(Boolean)).toEqual(["2", "3"]);
  });

  it("a command stage among them is handed over as the paths of its outputs; the stage's own name is not", async () => {
    const dir = await ranProject("cmd-stage-input", {
      "p.sc": `stage one : command { shell = "echo 1 > one.txt"  outputs = ["one.txt"] }
stage two : command { shell = "echo a > a.txt; echo b > b.txt"  outputs = ["a.txt", "b.txt"] }
stage use : command {
  shell = "echo \\"$STAGECRAFT_INPUT_ONE\\" > got.txt; echo \\"$STAGECRAFT_INPUT_TWO\\" >> got.txt; echo \\"\${STAGECRAFT_STAGE:-none}\\" >> got.txt"
  inputs = [one, two]
  outputs = ["got.txt"]
}
`,
    });
    dirs.push(dir);
    const [one, two, name] = readFileSync(path.join(dir, "got.txt"), "utf8").split("\n");
    expect(one).toBe(path.join(dir, "one.txt"));
    expect(two).toBe(`${path.join(dir, "a.txt")}:${path.join(dir, "b.txt")}`);
    expect(name).toBe("none");
  });
});
