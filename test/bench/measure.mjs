// Runs the stagecraft CLI in this process, then prints the process's peak memory (getrusage's
// maxRSS) as JSON on stderr's last line, so a parent can time the whole process and read its peak.
import { main } from "../../dist/bundle/main.mjs";

const code = await main(process.argv.slice(2), {
  stdout: () => {},
  stderr: () => {},
  isTTY: false,
  env: process.env,
});
process.stderr.write(`\n${JSON.stringify({ exit: code, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
