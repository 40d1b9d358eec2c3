// Runs Google's official client (googleapis, google-auth-library) against a server and
// prints what it read, as JSON, so a test can compare it with what the server holds:
//   node check.mjs <base-url> <scenario> [<file with the scenario's arguments as JSON>]
// The client's rootUrl and OAuth endpoints point at <base-url>; nothing else differs from
// how an app talks to Google.
import { readFileSync } from "node:fs";
import { google } from "googleapis";

const [base, scenario, argsFile] = process.argv.slice(2);
const args = argsFile ? JSON.parse(readFileSync(argsFile, "utf8")) : {};
const auth = new google.auth.OAuth2({
  clientId: "sloth.apps.googleusercontent.com",
  clientSecret: "gsecret-fake",
  redirectUri: "https://sloth.test/oauth/google/callback",
  endpoints: { oauth2TokenUrl: `${base}/token`, oauth2RevokeUrl: `${base}/revoke` },
  forceRefreshOnFailure: true,
});
const calendar = google.calendar({ version: "v3", auth, rootUrl: `${base}/` });

function failure(e) {
  const errors = e.response?.data?.error?.errors ?? [];
  return { status: e.response?.status ?? e.status ?? null, reason: errors[0]?.reason ?? e.response?.data?.error ?? null };
}

let out;
if (scenario === "consent-url") {
  const { codeVerifier, codeChallenge } = await auth.generateCodeVerifierAsync();
  const url = auth.generateAuthUrl({
    access_type: "offline",
    prompt: "consent",
    scope: ["https://www.googleapis.com/auth/calendar"],
    state: "state-from-the-official-client",
    code_challenge_method: "S256",
    code_challenge: codeChallenge,
  });
  out = { url, verifier: codeVerifier };
} else if (scenario === "exchange") {
  const { tokens } = await auth.getToken({ code: args.code, codeVerifier: args.verifier });
  out = { refresh_token: tokens.refresh_token, access_token: tokens.access_token, expiry_date: tokens.expiry_date };
} else if (scenario === "calendar") {
  // An access token about to expire (within the client's eager-refresh margin) and one the
  // server no longer accepts (401): the official client refreshes in both cases.
  auth.setCredentials({ refresh_token: args.refresh_token, access_token: args.access_token, expiry_date: Date.now() + args.expires_in_ms });
  const event = {
    id: args.event_id,
    summary: "Manicure – Olena",
    start: { dateTime: args.start, timeZone: "Europe/Kyiv" },
    end: { dateTime: args.end, timeZone: "Europe/Kyiv" },
    extendedProperties: { private: { bookingId: "42" } },
  };
  const first = await calendar.events.insert({ calendarId: "primary", requestBody: event, sendUpdates: "none" });
  let second;
  try {
    await calendar.events.insert({ calendarId: "primary", requestBody: event });
    second = { status: 200 };
  } catch (e) {
    second = failure(e);
  }
  const fb = await calendar.freebusy.query({
    requestBody: { timeMin: args.start, timeMax: args.end, timeZone: "UTC", items: [{ id: "primary" }] },
  });
  const full = await calendar.events.list({ calendarId: "primary", singleEvents: true, timeMin: args.since, maxResults: 1 });
  let pages = 1;
  let page = full.data;
  const ids = page.items.map((e) => e.id);
  while (page.nextPageToken) {
    page = (await calendar.events.list({ calendarId: "primary", singleEvents: true, timeMin: args.since, maxResults: 1, pageToken: page.nextPageToken })).data;
    ids.push(...page.items.map((e) => e.id));
    pages += 1;
  }
  out = {
    inserted: first.data.id,
    private_booking_id: first.data.extendedProperties?.private?.bookingId,
    second,
    busy: fb.data.calendars.primary.busy,
    ids,
    pages,
    sync_token: page.nextSyncToken,
  };
} else if (scenario === "sync") {
  auth.setCredentials({ refresh_token: args.refresh_token });
  try {
    const r = await calendar.events.list({ calendarId: "primary", singleEvents: true, syncToken: args.sync_token });
    out = { items: r.data.items.map((e) => ({ id: e.id, status: e.status })), sync_token: r.data.nextSyncToken };
  } catch (e) {
    out = failure(e);
  }
} else if (scenario === "errors") {
  auth.setCredentials({ refresh_token: args.refresh_token });
  try {
    await calendar.events.list({ calendarId: "primary" }, { retry: false });
    out = { status: 200 };
  } catch (e) {
    out = failure(e);
  }
} else if (scenario === "revoke") {
  const r = await auth.revokeToken(args.refresh_token);
  let after;
  try {
    auth.setCredentials({ refresh_token: args.refresh_token });
    await auth.refreshAccessToken();
    after = { status: 200 };
  } catch (e) {
    after = failure(e);
  }
  out = { status: r.status, after };
}
console.log(JSON.stringify(out));
