/* KPI charts: data comes from a json_script element, plotted with SVG traces only (no WebGL,
   no inline scripts), so a strict Content-Security-Policy can apply. */
(function () {
  "use strict";

  var RAG_COLOURS = { green: "#1f7a3a", amber: "#9a6400", red: "#b3261e", none: "#6b7280" };

  function drawAttainment(element, data) {
    window.Plotly.newPlot(element, [{
      type: "bar", orientation: "h",
      y: data.bars.map(function (b) { return b.name; }),
      x: data.bars.map(function (b) { return b.percent; }),
      marker: { color: data.bars.map(function (b) { return RAG_COLOURS[b.rag]; }) },
      hovertemplate: "%{y}: %{x}% of target<extra></extra>"
    }], {
      margin: { t: 10, r: 20, b: 40, l: 220 }, height: 60 + 32 * data.bars.length,
      xaxis: { title: { text: "% of target" } },
      shapes: [{ type: "line", x0: 100, x1: 100, yref: "paper", y0: 0, y1: 1,
                 line: { dash: "dash", color: "#1d2330" } }]
    }, { responsive: true, displaylogo: false });
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
    if (element.dataset.chartKind === "attainment") { drawAttainment(element, data); return; }
    var traces = [];
    if (data.targets.length) {
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.amber; }),
        name: "Amber threshold", type: "scatter", mode: "lines", line: { shape: "hv", width: 0 },
        hoverinfo: "skip", showlegend: false
      });
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.green; }),
        name: "Target band", type: "scatter", mode: "lines", line: { shape: "hv", width: 0 },
        fill: "tonexty", fillcolor: "rgba(31,122,58,0.15)"
      });
      traces.push({
        x: data.targets.map(function (t) { return t.date; }),
        y: data.targets.map(function (t) { return t.value; }),
        name: "Target", type: "scatter", mode: "lines", line: { shape: "hv", dash: "dash", color: "#1f7a3a" }
      });
    }
    traces.push({
      x: data.values.map(function (v) { return v.date; }),
      y: data.values.map(function (v) { return v.value; }),
      text: data.values.map(function (v) { return v.confidence; }),
      hovertemplate: "%{x}: %{y} " + data.unit + " (%{text})<extra></extra>",
      name: "Actual", type: "scatter", mode: "lines+markers", line: { color: "#2355c4" }
    });
    window.Plotly.newPlot(element, traces, {
      margin: { t: 10, r: 10, b: 40, l: 50 }, height: 320, hovermode: "x unified",
      yaxis: { title: { text: data.unit } }, legend: { orientation: "h" }
    }, { responsive: true, displaylogo: false });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
}());
