/*
 * console_pages.c -- the console's HTML: one layout, the pages, the htmx
 * partials.  Every value from outside goes through console_esc(); no
 * inline script or style (the CSP forbids both): behaviour is in
 * console.js, looks in console.css.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apid/console_int.h"
#include "apid/request.h"

#define ADDS(s)		pf_buf_adds(b, s)
#define ESC(s)		console_esc(b, (s) != NULL ? (s) : "")

static void
head(struct pf_buf *b, const struct console_view *v, const char *title,
    bool chart)
{
	ADDS("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><title>");
	ESC(title);
	ADDS(" · Polar Flow console</title>"
	    "<meta name=\"htmx-config\" content=\"{&quot;"
	    "includeIndicatorStyles&quot;:false,&quot;allowEval&quot;:false,"
	    "&quot;allowScriptTags&quot;:false}\">");
	if (v->admin != NULL) {
		ADDS("<meta name=\"csrf-token\" content=\"");
		ESC(v->csrf);
		ADDS("\">");
	}
	ADDS("<link rel=\"icon\" type=\"image/svg+xml\" href=\"");
	console_asset_url(b, "favicon.svg");
	ADDS("\"><link rel=\"stylesheet\" href=\"");
	console_asset_url(b, "console.css");
	ADDS("\">");
	if (chart) {
		ADDS("<link rel=\"stylesheet\" href=\"");
		console_asset_url(b, "uPlot.min.css");
		ADDS("\"><script defer src=\"");
		console_asset_url(b, "uPlot.iife.min.js");
		ADDS("\"></script>");
	}
	ADDS("<script defer src=\"");
	console_asset_url(b, "htmx.min.js");
	ADDS("\"></script><script defer src=\"");
	console_asset_url(b, "console.js");
	ADDS("\"></script></head><body><header class=\"top\">"
	    "<a class=\"brand\" href=\"/admin\">Polar Flow</a>");
	if (v->admin != NULL) {
		ADDS("<nav aria-label=\"Main\"><a href=\"/admin/users\"");
		if (strcmp(v->nav, "users") == 0)
			ADDS(" aria-current=\"page\"");
		ADDS(">Users</a><a href=\"/admin/keys\"");
		if (strcmp(v->nav, "keys") == 0)
			ADDS(" aria-current=\"page\"");
		ADDS(">API keys</a></nav><form class=\"logout\" method=\"post\" "
		    "action=\"/admin/logout\"><input type=\"hidden\" "
		    "name=\"_csrf\" value=\"");
		ESC(v->csrf);
		ADDS("\"><span class=\"who\">");
		ESC(v->admin);
		ADDS("</span><button type=\"submit\">Sign out</button></form>");
	}
	ADDS("</header><main id=\"main\">");
}

static void
foot(struct pf_buf *b)
{
	ADDS("</main></body></html>\n");
}

static void
error_box(struct pf_buf *b, const char *err)
{
	if (err == NULL)
		return;
	ADDS("<p class=\"error\" role=\"alert\">");
	ESC(err);
	ADDS("</p>");
}

static void
hidden_csrf(struct pf_buf *b, const struct console_view *v)
{
	ADDS("<input type=\"hidden\" name=\"_csrf\" value=\"");
	ESC(v->csrf);
	ADDS("\">");
}

void
page_setup(struct pf_buf *b, const struct console_view *v, const char *err,
    const char *name)
{
	head(b, v, "First-run setup", false);
	ADDS("<section class=\"card narrow\"><h1>Welcome</h1><p>Create the "
	    "first administrator. The setup token is in apid's log, and "
	    "<code>polarctl admin setup-token</code> prints it.</p>");
	error_box(b, err);
	ADDS("<form method=\"post\" action=\"/admin/setup\">");
	hidden_csrf(b, v);
	ADDS("<label for=\"token\">Setup token</label><input id=\"token\" "
	    "name=\"token\" required autocomplete=\"off\" spellcheck=\"false\">"
	    "<label for=\"name\">Administrator name</label><input id=\"name\" "
	    "name=\"name\" required autocomplete=\"username\" value=\"");
	ESC(name);
	ADDS("\"><label for=\"password\">Password (at least 8 characters)"
	    "</label><input id=\"password\" name=\"password\" type=\"password\" "
	    "required minlength=\"8\" autocomplete=\"new-password\">"
	    "<label for=\"password2\">Password again</label><input "
	    "id=\"password2\" name=\"password2\" type=\"password\" required "
	    "minlength=\"8\" autocomplete=\"new-password\">"
	    "<button type=\"submit\">Create administrator</button></form>"
	    "</section>");
	foot(b);
}

void
page_login(struct pf_buf *b, const struct console_view *v, const char *err,
    const char *name)
{
	head(b, v, "Sign in", false);
	ADDS("<section class=\"card narrow\"><h1>Sign in</h1>");
	error_box(b, err);
	ADDS("<form method=\"post\" action=\"/admin/login\">");
	hidden_csrf(b, v);
	ADDS("<label for=\"name\">Name</label><input id=\"name\" name=\"name\" "
	    "required autocomplete=\"username\" value=\"");
	ESC(name);
	ADDS("\"><label for=\"password\">Password</label><input "
	    "id=\"password\" name=\"password\" type=\"password\" required "
	    "autocomplete=\"current-password\"><button type=\"submit\">"
	    "Sign in</button></form></section>");
	foot(b);
}

void
page_message(struct pf_buf *b, const struct console_view *v,
    const char *title, const char *text)
{
	head(b, v, title, false);
	ADDS("<section class=\"card narrow\"><h1>");
	ESC(title);
	ADDS("</h1><p>");
	ESC(text);
	ADDS("</p><p><a href=\"/admin\">Back to the console</a></p></section>");
	foot(b);
}

static const char *
str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void
page_users(struct pf_buf *b, const struct console_view *v, json_t *users)
{
	size_t	 i;
	json_t	*u;

	head(b, v, "Users", false);
	ADDS("<h1>Users</h1>");
	if (json_array_size(users) == 0)
		ADDS("<p>No Polar user is connected yet.</p>");
	else
		ADDS("<div class=\"scroll\"><table><caption>Connected Polar "
		    "users</caption><thead><tr><th scope=\"col\">User</th>"
		    "<th scope=\"col\">State</th><th scope=\"col\">Last sync"
		    "</th><th scope=\"col\">Active keys</th></tr></thead>"
		    "<tbody>");
	json_array_foreach(users, i, u) {
		ADDS("<tr><td><a href=\"/admin/dashboard?user=");
		ESC(str(u, "user_id"));
		ADDS("\">");
		ESC(str(u, "user_id"));
		ADDS("</a></td><td>");
		if (json_is_true(json_object_get(u, "needs_reauth")))
			ADDS("<span class=\"badge warn\">needs re-authorisation"
			    "</span>");
		else if (json_is_true(json_object_get(u, "is_active")))
			ADDS("<span class=\"badge ok\">active</span>");
		else
			ADDS("<span class=\"badge\">inactive</span>");
		ADDS("</td><td>");
		ESC(str(u, "last_synced_at") != NULL ? str(u, "last_synced_at") :
		    "never");
		pf_buf_addf(b, "</td><td>%lld</td></tr>", (long long)
		    json_integer_value(json_object_get(u, "active_keys")));
	}
	if (json_array_size(users) > 0)
		ADDS("</tbody></table></div>");
	foot(b);
}

/* Days since 1970-01-01 of "YYYY-MM-DD"; -1 when it is not one. */
static long
day_number(const char *s)
{
	int	y, m, d;
	long	era, yoe, doy, doe;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return -1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* How old a tile's value is: today, yesterday, or stale. */
static void
staleness(struct pf_buf *b, const char *today, const char *date)
{
	long	age = day_number(today) - day_number(date);

	if (date == NULL)
		return;
	if (age <= 0)
		ADDS("<span class=\"badge ok\">today</span>");
	else if (age == 1)
		ADDS("<span class=\"badge ok\">yesterday</span>");
	else if (age == 2)
		ADDS("<span class=\"badge warn\">2 days old</span>");
	else
		pf_buf_addf(b, "<span class=\"badge stale\">stale: %ld days "
		    "old</span>", age);
}

static void
number(struct pf_buf *b, json_t *x)
{
	char	buf[32];

	if (json_is_integer(x))
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(x));
	else if (json_is_real(x) && isfinite(json_real_value(x)))
		snprintf(buf, sizeof(buf), "%.4g", json_real_value(x));
	else
		snprintf(buf, sizeof(buf), "–");
	ADDS(buf);
}

static void
tile(struct pf_buf *b, json_t *tiles, const char *key, const char *label,
    const char *unit)
{
	json_t	*t = json_object_get(tiles, key);

	ADDS("<article class=\"tile\"><h2>");
	ESC(label);
	ADDS("</h2>");
	if (!json_is_object(t)) {
		ADDS("<p class=\"value none\">No data yet</p></article>");
		return;
	}
	ADDS("<p class=\"value\">");
	number(b, json_object_get(t, "value"));
	if (unit[0] != '\0') {
		ADDS(" <span class=\"unit\">");
		ESC(unit);
		ADDS("</span>");
	}
	ADDS("</p>");
	if (strcmp(key, "hrv") == 0 && json_object_get(t, "low") != NULL) {
		ADDS("<p class=\"band\">Normal band ");
		number(b, json_object_get(t, "low"));
		ADDS("–");
		number(b, json_object_get(t, "high"));
		ADDS(" ms");
		if (str(t, "status") != NULL) {
			ADDS(": <strong>");
			ESC(str(t, "status"));
			ADDS("</strong>");
		}
		ADDS("</p>");
	}
	if (strcmp(key, "load_ratio") == 0 && str(t, "status") != NULL) {
		ADDS("<p class=\"band\">");
		ESC(str(t, "status"));
		ADDS("</p>");
	}
	ADDS("<p class=\"meta\">");
	ESC(str(t, "date"));
	ADDS(" ");
	staleness(b, str(tiles, "today"), str(t, "date"));
	ADDS("</p></article>");
}

void
page_dashboard(struct pf_buf *b, const struct console_view *v,
    json_t *tiles)
{
	const char	*uid = str(tiles, "user_id");

	head(b, v, "Dashboard", true);
	ADDS("<h1>Today for ");
	ESC(uid);
	ADDS("</h1><section class=\"tiles\" aria-label=\"Today\">");
	tile(b, tiles, "sleep", "Sleep score", "");
	tile(b, tiles, "hrv", "HRV (RMSSD)", "ms");
	tile(b, tiles, "resting_hr", "Resting heart rate", "bpm");
	tile(b, tiles, "load_ratio", "Training load ratio", "");
	tile(b, tiles, "recovery", "Recovery", "/ 100");
	ADDS("</section><section class=\"card\"><div class=\"chart-head\">"
	    "<h2 id=\"hrv-title\">HRV and its normal band</h2>"
	    "<div class=\"range\" role=\"group\" aria-label=\"Range\">"
	    "<button type=\"button\" data-days=\"30\">30 days</button>"
	    "<button type=\"button\" data-days=\"90\" aria-pressed=\"true\">"
	    "90 days</button></div></div><div id=\"hrv-chart\" "
	    "class=\"chart\" role=\"img\" aria-labelledby=\"hrv-title\" "
	    "data-user=\"");
	ESC(uid);
	ADDS("\" data-days=\"90\"></div><p id=\"hrv-note\" class=\"meta\">"
	    "</p></section>");
	foot(b);
}

static void
keys_tbody(struct pf_buf *b, const struct console_view *v, json_t *keys)
{
	size_t	 i;
	json_t	*k;

	ADDS("<tbody id=\"keys-body\">");
	json_array_foreach(keys, i, k) {
		bool	active = json_is_true(json_object_get(k, "is_active"));

		ADDS("<tr><td><code>");
		ESC(str(k, "key_prefix"));
		ADDS("…</code></td><td>");
		ESC(str(k, "name"));
		ADDS("</td><td>");
		ESC(str(k, "user_id") != NULL ? str(k, "user_id") :
		    "(service)");
		ADDS("</td><td>");
		ADDS(active ? "<span class=\"badge ok\">active</span>" :
		    "<span class=\"badge\">revoked</span>");
		ADDS("</td><td>");
		ESC(str(k, "last_used_at") != NULL ? str(k, "last_used_at") :
		    "never");
		ADDS("</td><td>");
		if (active) {
			pf_buf_addf(b, "<form method=\"post\" "
			    "action=\"/admin/keys/revoke\" "
			    "hx-post=\"/admin/keys/revoke\" "
			    "hx-target=\"#keys-live\" hx-swap=\"outerHTML\">"
			    "<input type=\"hidden\" name=\"id\" value=\"%lld\">",
			    (long long)json_integer_value(
			    json_object_get(k, "id")));
			hidden_csrf(b, v);
			pf_buf_addf(b, "<button type=\"submit\" class=\"danger\" "
			    "aria-label=\"Revoke key %lld\">Revoke</button>"
			    "</form>", (long long)json_integer_value(
			    json_object_get(k, "id")));
		}
		ADDS("</td></tr>");
	}
	ADDS("</tbody>");
}

void
part_keys(struct pf_buf *b, const struct console_view *v, json_t *keys,
    const char *notice, const char *newkey)
{
	ADDS("<div id=\"keys-live\"><div role=\"status\" class=\"notice\">");
	if (notice != NULL && notice[0] != '\0') {
		ADDS("<p>");
		ESC(notice);
		ADDS("</p>");
	}
	if (newkey != NULL) {
		ADDS("<p><code id=\"new-key\" class=\"secret\">");
		ESC(newkey);
		ADDS("</code></p>");
	}
	ADDS("</div><div class=\"scroll\"><table><caption>API keys</caption>"
	    "<thead><tr><th scope=\"col\">Prefix</th><th scope=\"col\">Name"
	    "</th><th scope=\"col\">User</th><th scope=\"col\">State</th>"
	    "<th scope=\"col\">Last used</th><th scope=\"col\">Action</th>"
	    "</tr></thead>");
	keys_tbody(b, v, keys);
	ADDS("</table></div></div>");
}

void
page_keys(struct pf_buf *b, const struct console_view *v, json_t *keys,
    json_t *users, const char *notice, const char *newkey)
{
	size_t	 i;
	json_t	*u;

	head(b, v, "API keys", false);
	ADDS("<h1>API keys</h1><section class=\"card\"><h2>New key</h2>"
	    "<form class=\"inline\" method=\"post\" action=\"/admin/keys\" "
	    "hx-post=\"/admin/keys\" hx-target=\"#keys-live\" "
	    "hx-swap=\"outerHTML\">");
	hidden_csrf(b, v);
	ADDS("<label for=\"key-user\">User</label><select id=\"key-user\" "
	    "name=\"user_id\"><option value=\"\">(service key: every user)"
	    "</option>");
	json_array_foreach(users, i, u) {
		ADDS("<option value=\"");
		ESC(json_string_value(u));
		ADDS("\">");
		ESC(json_string_value(u));
		ADDS("</option>");
	}
	ADDS("</select><label for=\"key-name\">Name</label><input "
	    "id=\"key-name\" name=\"name\" maxlength=\"100\">"
	    "<button type=\"submit\">Create key</button></form></section>"
	    "<section class=\"card\">");
	part_keys(b, v, keys, notice, newkey);
	ADDS("</section>");
	foot(b);
}
