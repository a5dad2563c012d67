/* KPI charts: data comes from a json_script element, plotted with SVG traces only (no WebGL,
   no inline scripts), so a strict Content-Security-Policy can apply. */
(function () {
  "use strict";

  function draw(element) {
    var source = document.getElementById(element.dataset.chart);
    if (!source || !window.Plotly) { return; }
    var data = JSON.parse(source.textContent);
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
