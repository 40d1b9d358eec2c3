// Runs OpenAI's official client against a server and prints what it read, as JSON, so a
// test can compare it with what the server was told to answer:
//   node check.mjs <base-url> chat|stream|embeddings|quota
import OpenAI from "openai";

const [baseURL, scenario] = process.argv.slice(2);
const client = new OpenAI({ apiKey: "sk-fake-openai", baseURL, maxRetries: 2, timeout: 20000 });
const tools = [
  {
    type: "function",
    function: {
      name: "opening_hours",
      description: "The salon's opening hours on a weekday",
      parameters: { type: "object", properties: { day: { type: "string" } }, required: ["day"] },
    },
  },
];
const messages = [
  { role: "system", content: "You are a helpful AI assistant for a beauty salon." },
  { role: "user", content: "When are you open on Monday and Saturday?" },
];

let out;
if (scenario === "chat") {
  const r = await client.chat.completions.create({ model: "gpt-test", messages, tools });
  out = { message: r.choices[0].message, finish: r.choices[0].finish_reason, usage: r.usage };
} else if (scenario === "stream") {
  const stream = await client.chat.completions.create({
    model: "gpt-test",
    messages,
    tools,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let finish = null;
  let usage = null;
  const calls = [];
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.finish_reason) finish = choice.finish_reason;
      if (choice.delta.content) text += choice.delta.content;
      for (const t of choice.delta.tool_calls ?? []) {
        calls[t.index] ??= { id: "", name: "", arguments: "" };
        if (t.id) calls[t.index].id = t.id;
        if (t.function?.name) calls[t.index].name = t.function.name;
        if (t.function?.arguments) calls[t.index].arguments += t.function.arguments;
      }
    }
  }
  out = { text, calls, finish, usage };
} else if (scenario === "embeddings") {
  const r = await client.embeddings.create({
    model: "text-embedding-3-small",
    input: ["Classic manicure: 15 EUR", "Pedicure"],
    dimensions: 8,
  });
  out = { count: r.data.length, dims: r.data.map((d) => d.embedding.length) };
} else if (scenario === "quota") {
  try {
    await client.chat.completions.create({ model: "gpt-test", messages });
    out = { error: null };
  } catch (e) {
    out = { error: e.constructor.name, status: e.status, code: e.code, type: e.type };
  }
} else {
  throw new Error("unknown scenario " + scenario);
}
process.stdout.write(JSON.stringify(out));
