#include "api/openapi_routes.hpp"

#include <yaml-cpp/yaml.h>

#include "schema/yaml_json.hpp"

namespace sloth {
const std::string& OpenApiYaml();  // generated from host/api/openapi.yaml
}

namespace sloth::api {
namespace {

// Renders the document fetched from /api/openapi.json: operations by tag, their
// parameters, bodies and answers, and the schemas they name. Self-contained, so it works
// on a host without internet access.
constexpr const char* kDocsPage = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sloth API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
details{border:1px solid #e3e3e3;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}
code,pre{font:13px ui-monospace,monospace}
pre{background:#f6f6f6;padding:.5rem;overflow:auto}
.m{display:inline-block;min-width:4.2rem;font-weight:600}
.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c22}
.lock{color:#888;font-size:12px}
</style></head><body>
<h1 id="title">Sloth API</h1><p id="desc"></p>
<p><a href="/api/openapi.json">openapi.json</a></p><div id="ops">Loading…</div>
<script>
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const json = v => '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
fetch('/api/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.getElementById('desc').textContent = doc.info.description || '';
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item))
      (byTag[(op.tags || ['other'])[0]] ||= []).push({path, method, op});
  let html = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const {path, method, op} of ops) {
      const open = (op.security || []).length === 0;
      html += '<details><summary><span class="m ' + method + '">' + method.toUpperCase() +
              '</span> <code>' + esc(path) + '</code> ' + esc(op.summary || '') +
              (open ? '' : ' <span class="lock">bearer</span>') + '</summary>';
      if (op.parameters) html += '<h4>Parameters</h4>' + json(op.parameters);
      if (op.requestBody) html += '<h4>Body</h4>' + json(op.requestBody.content);
      html += '<h4>Answers</h4>' + json(op.responses) + '</details>';
    }
  }
  html += '<h2>Schemas</h2>';
  for (const [name, s] of Object.entries(doc.components.schemas))
    html += '<details><summary><code>' + esc(name) + '</code></summary>' + json(s) + '</details>';
  document.getElementById('ops').innerHTML = html;
}).catch(e => { document.getElementById('ops').textContent = 'Cannot load the document: ' + e; });
</script></body></html>
)html";

}  // namespace

nlohmann::json OpenApiDocument(const std::string& public_url) {
  nlohmann::json doc = config::YamlToJson(YAML::Load(OpenApiYaml()));
  if (!public_url.empty()) doc["servers"] = {{{"url", public_url}}};
  return doc;
}

void AddDocsRoutes(http::Router& router, const std::string& public_url) {
  // Built once: the document cannot change while the binary runs.
  auto body = std::make_shared<const std::string>(OpenApiDocument(public_url).dump());
  router.Add("GET", "/api/openapi.json", [body](http::Request&) {
    http::Response r = http::Response::Text(200, *body, "application/json");
    r.headers.emplace_back("Cache-Control", "public, max-age=300");
    return r;
  });
  router.Add("GET", "/api/docs", [](http::Request&) {
    return http::Response::Text(200, kDocsPage, "text/html; charset=utf-8");
  });
}

}  // namespace sloth::api
