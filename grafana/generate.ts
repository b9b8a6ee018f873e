/** Writes every dashboard's JSON under grafana/dashboards/ (`npm run dashboards`); commit the result. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { allDashboards, DASHBOARDS_DIR, serialize } from './dashboards';

mkdirSync(DASHBOARDS_DIR, { recursive: true });
for (const [file, dashboard] of Object.entries(allDashboards())) {
  writeFileSync(path.join(DASHBOARDS_DIR, file), serialize(dashboard));
  console.log(`wrote grafana/dashboards/${file}`);
}
