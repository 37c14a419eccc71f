// The retention report's trend: one line per figure, one point per daily snapshot.
// Data comes from the page (json_script "retention-trend-data"); Chart.js draws it.
(function () {
  "use strict";
  var source = document.getElementById("retention-trend-data");
  var canvas = document.getElementById("retention-trend");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var colours = ["#417690", "#b36b00", "#6f42c1", "#2e7d32"];
  new Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: data.datasets.map(function (dataset, index) {
        return {
          label: dataset.label,
          data: dataset.data,
          borderColor: colours[index % colours.length],
          backgroundColor: colours[index % colours.length],
          tension: 0,
          pointRadius: data.labels.length > 60 ? 0 : 3
        };
      })
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
