const path = require('path');
const { task, src, dest } = require('gulp');

// tsc only emits JavaScript; n8n loads node and credential icons from next to the built files.
task('build:icons', copyIcons);

function copyIcons() {
	const nodeIcons = path.resolve('nodes', '**', '*.{png,svg}');
	const credentialIcons = path.resolve('credentials', '**', '*.{png,svg}');

	return Promise.all([
		streamToPromise(src(nodeIcons, { encoding: false }).pipe(dest(path.resolve('dist', 'nodes')))),
		streamToPromise(
			src(credentialIcons, { encoding: false }).pipe(dest(path.resolve('dist', 'credentials'))),
		),
	]);
}

function streamToPromise(stream) {
	return new Promise((resolve, reject) => {
		stream.on('finish', resolve);
		stream.on('end', resolve);
		stream.on('error', reject);
	});
}
