const path = require('path');
const { task, src, dest } = require('gulp');

// tsc emits only JavaScript: n8n also needs the icons and the codex (*.node.json) next to the
// built nodes and credentials, and the package entry point inside dist/.
task('build:assets', copyAssets);

function copyAssets() {
	return Promise.all([
		copy(['nodes/**/*.{png,svg}', 'nodes/**/*.node.json'], 'dist/nodes'),
		copy(['credentials/**/*.{png,svg}'], 'dist/credentials'),
		copy(['index.js'], 'dist'),
	]);
}

function copy(globs, destination) {
	return new Promise((resolve, reject) => {
		src(
			globs.map((glob) => path.resolve(glob)),
			{ encoding: false, allowEmpty: true },
		)
			.pipe(dest(path.resolve(destination)))
			.on('finish', resolve)
			.on('error', reject);
	});
}
