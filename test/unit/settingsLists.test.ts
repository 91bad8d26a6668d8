/** Lists typed or mapped into one text box, and the URL checks (helpers/lists.ts). */
import { isHttpsUrl, isHttpUrl, splitList, splitUrls } from '../../nodes/Phota/helpers/lists';

describe('splitUrls', () => {
	test('a comma inside a URL stays part of it (Cloudinary transformations)', () => {
		const resized = 'https://res.cloudinary.com/demo/image/upload/w_400,h_400,c_fill/face.jpg';
		expect(splitUrls(`${resized},https://example.com/b.png, ${resized}`)).toEqual([
			resized,
			'https://example.com/b.png',
			resized,
		]);
	});

	test('URLs separated by spaces, new lines, or commas that start the next URL', () => {
		expect(
			splitUrls(' https://a.example/1.jpg\nhttp://b.example/2.jpg  HTTPS://C.EXAMPLE/3.JPG\n'),
		).toEqual(['https://a.example/1.jpg', 'http://b.example/2.jpg', 'HTTPS://C.EXAMPLE/3.JPG']);
		expect(
			splitUrls('https://a.example/1.jpg,HTTPS://b.example/2.jpg ,https://c.example/3'),
		).toEqual(['https://a.example/1.jpg', 'HTTPS://b.example/2.jpg', 'https://c.example/3']);
	});

	test('a comma before something that is not a URL does not split (the URL check refuses it)', () => {
		expect(splitUrls('https://a.example/1.jpg,face.jpg')).toEqual([
			'https://a.example/1.jpg,face.jpg',
		]);
	});

	test('an empty or blank text is no URL', () => {
		expect(splitUrls('')).toEqual([]);
		expect(splitUrls(' \n\t ')).toEqual([]);
	});
});

test('splitList trims the entries and drops empty ones', () => {
	expect(splitList(' data, , image ,')).toEqual(['data', 'image']);
	expect(splitList('a b\tc', /\s+/)).toEqual(['a', 'b', 'c']);
});

test.each([
	['https://example.com/a.jpg', true, true],
	['http://example.com/a.jpg', true, false],
	['HTTPS://EXAMPLE.COM/A.JPG', true, true],
	['https://', false, false],
	['https://example.com/a b.jpg', false, false],
	[' https://example.com/a.jpg', false, false],
	['ftp://example.com/a.jpg', false, false],
	['example.com/a.jpg', false, false],
	['javascript:alert(1)', false, false],
])('%s: http(s) URL %s, https URL %s', (text, http, https) => {
	expect(isHttpUrl(text)).toBe(http);
	expect(isHttpsUrl(text)).toBe(https);
});
