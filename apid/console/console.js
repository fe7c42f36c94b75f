/* console.js -- the console's behaviour: the CSRF header on every htmx
 * request, and the HRV chart (uPlot) fed from /admin/api/hrv. */
"use strict";
(function () {
	var meta = document.querySelector('meta[name="csrf-token"]');

	document.addEventListener("htmx:configRequest", function (e) {
		if (meta)
			e.detail.headers["X-CSRF-Token"] = meta.content;
	});

	var box = document.getElementById("hrv-chart");
	if (!box || typeof uPlot === "undefined")
		return;
	var note = document.getElementById("hrv-note");
	var plot = null;

	function ms(x) {
		return typeof x === "number" && isFinite(x) ?
		    Math.round(Math.exp(x) * 10) / 10 : null;
	}

	function draw(rows) {
		var t = [], v = [], m = [], lo = [], hi = [];
		rows.slice().reverse().forEach(function (r) {
			var d = r.details || {};
			t.push(Date.parse(r.date + "T00:00:00Z") / 1000);
			v.push(ms(d.ln_rmssd));
			m.push(ms(d.mean_7d));
			lo.push(ms(d.band_low));
			hi.push(ms(d.band_high));
		});
		if (plot)
			plot.destroy();
		box.textContent = "";
		note.textContent = rows.length ? rows.length +
		    " days; the band is the personal normal range." :
		    "No HRV analysis for this window yet.";
		var opts = {
			width: Math.max(box.clientWidth, 280),
			height: 300,
			series: [
				{},
				{ label: "Band low", stroke: "#8fb3d9", points: { show: false },
				    value: function (u, x) { return x == null ? "–" : x + " ms"; } },
				{ label: "Band high", stroke: "#8fb3d9", points: { show: false },
				    value: function (u, x) { return x == null ? "–" : x + " ms"; } },
				{ label: "RMSSD", stroke: "#0b5cad", width: 1,
				    points: { show: true, size: 4 },
				    value: function (u, x) { return x == null ? "–" : x + " ms"; } },
				{ label: "7-day mean", stroke: "#b4451f", width: 2,
				    value: function (u, x) { return x == null ? "–" : x + " ms"; } }
			],
			bands: [{ series: [2, 1], fill: "rgba(11,92,173,0.10)" }],
			axes: [{}, { label: "ms" }]
		};
		plot = new uPlot(opts, [t, lo, hi, v, m], box);
	}

	function load(days) {
		var url = "/admin/api/hrv?user=" +
		    encodeURIComponent(box.dataset.user) + "&days=" + days;
		fetch(url, { credentials: "same-origin",
		    headers: { "Accept": "application/json" } })
		    .then(function (r) {
			if (!r.ok)
				throw new Error("HTTP " + r.status);
			return r.json();
		    })
		    .then(draw)
		    .catch(function (e) {
			note.textContent = "The chart could not be loaded (" +
			    e.message + ").";
		    });
	}

	document.querySelectorAll(".range button").forEach(function (b) {
		b.addEventListener("click", function () {
			document.querySelectorAll(".range button").forEach(
			    function (o) {
				o.setAttribute("aria-pressed",
				    o === b ? "true" : "false");
			    });
			load(b.dataset.days);
		});
	});
	load(box.dataset.days || 90);
})();
