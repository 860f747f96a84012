/**
 * The global banned-password list: base terms people build weak passwords from. Like Entra's
 * global list it holds *base terms*, not every variant — normalisation (P@ssw0rd → password),
 * fuzzy matching (edit distance 1) and the points rule take care of "Password1!", "Summer2026"
 * and "Welcome01". Every term is lower-case and at least 4 characters long (a test checks both);
 * an organisation's own words (its name, products, places) belong in `passwords.bannedCustom`,
 * and users' names are matched from their own account.
 *
 * Curated by hand from the terms that head public leaked-password lists and the patterns help
 * desks see (seasons, months, "welcome", "changeme", keyboard walks, teams). Kept short on
 * purpose: the 49,000 most common whole passwords are checked separately (@zxcvbn-ts).
 */
export const globalBannedTerms: readonly string[] = [
  // the word itself, and what people put around it
  'password', 'passwort', 'passwd', 'pass', 'passcode', 'passphrase', 'mypassword', 'newpassword', 'oldpassword',
  'secret', 'topsecret', 'private', 'security', 'secure', 'access', 'letmein', 'login', 'logon', 'signin',
  'changeme', 'change', 'default', 'temp', 'temporary', 'reset', 'forgot', 'unknown', 'nopassword',
  'welcome', 'welkom', 'willkommen', 'bienvenue', 'bienvenido', 'hello', 'hallo', 'hola', 'bonjour', 'ciao',
  'goodbye', 'whatever', 'nothing', 'something', 'anything', 'everything', 'trustno1', 'iloveyou', 'loveyou',
  'test', 'testing', 'tester', 'guest', 'demo', 'sample', 'user', 'username', 'admin', 'administrator',
  'administrador', 'administrateur', 'root', 'superuser', 'sysadmin', 'manager', 'master', 'owner', 'operator',
  'support', 'helpdesk', 'service', 'account', 'office', 'company', 'business', 'enterprise', 'corporate',
  'server', 'network', 'system', 'computer', 'laptop', 'desktop', 'internet', 'online', 'email', 'mail',
  'windows', 'microsoft', 'office365', 'outlook', 'azure', 'google', 'gmail', 'yahoo', 'hotmail', 'facebook',
  'twitter', 'instagram', 'linkedin', 'youtube', 'netflix', 'amazon', 'apple', 'iphone', 'android', 'samsung',
  'linux', 'ubuntu', 'oracle', 'cisco', 'vmware', 'database', 'backup', 'monitor', 'printer', 'wireless',
  // keyboard walks and number runs (normalised like passwords: 1→l, 3→e, …, so they still match)
  'qwerty', 'qwertz', 'azerty', 'qwertyuiop', 'asdfgh', 'asdfghjkl', 'asdf', 'zxcvbn', 'zxcvbnm', 'qazwsx',
  '1qaz2wsx', 'qwer1234', '1q2w3e4r', 'abcd', 'abcdef', 'abc123', 'abcd1234', 'aaaa', 'zzzz', 'xxxx',
  '1234', '12345', '123456', '1234567', '12345678', '123456789', '1234567890', '0000', '1111', '2222',
  '4321', '654321', '987654321', '123123', '112233', '121212', '123321', '159753', '147258', '741852',
  '0987654321', '696969', '666666', '777777', '888888', '999999', '000000', '111111', '222222', '555555',
  // seasons, months, days, holidays
  'spring', 'summer', 'autumn', 'winter', 'january', 'february', 'march', 'april', 'june', 'july', 'august',
  'september', 'october', 'november', 'december', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday',
  'saturday', 'sunday', 'weekend', 'holiday', 'holidays', 'vacation', 'christmas', 'xmas', 'easter',
  'halloween', 'thanksgiving', 'newyear', 'birthday', 'today', 'tomorrow', 'yesterday', 'morning', 'tonight',
  // affection, family, feelings
  'love', 'lover', 'lovely', 'loving', 'darling', 'sweetheart', 'sweetie', 'honey', 'angel', 'angels', 'baby',
  'babygirl', 'babyboy', 'princess', 'prince', 'queen', 'king', 'lady', 'girl', 'girls', 'boys', 'mommy',
  'daddy', 'mother', 'father', 'family', 'friend', 'friends', 'bestfriend', 'forever', 'always', 'together',
  'happy', 'smile', 'sunshine', 'rainbow', 'butterfly', 'flower', 'flowers', 'heaven', 'freedom', 'peace',
  'faith', 'blessed', 'jesus', 'christ', 'lord', 'trinity', 'destiny', 'dream', 'dreams', 'magic',
  'lucky', 'beautiful', 'pretty', 'cutie', 'sexy', 'hottie', 'kisses', 'hugs',
  // animals people name passwords after
  'monkey', 'dragon', 'tiger', 'lion', 'eagle', 'falcon', 'shark', 'dolphin', 'panda', 'bear', 'wolf',
  'puppy', 'kitty', 'kitten', 'doggy', 'pussy', 'bunny', 'rabbit', 'turtle', 'snake', 'spider', 'bulldog',
  // colours, things, food
  'black', 'white', 'silver', 'golden', 'purple', 'orange', 'yellow', 'green', 'blue', 'pink', 'diamond',
  'crystal', 'pepper', 'ginger', 'cookie', 'cheese', 'chocolate', 'banana', 'cherry', 'strawberry', 'coffee',
  'pizza', 'sugar', 'candy', 'money', 'dollar', 'cash', 'gold', 'star', 'stars', 'moon', 'ocean',
  'shadow', 'matrix', 'hunter', 'killer', 'ranger', 'soldier', 'ninja', 'pirate', 'samurai', 'warrior',
  'wizard', 'merlin', 'phoenix', 'thunder', 'lightning', 'storm', 'fire', 'rocket', 'spirit', 'legend', 'player',
  'gamer', 'winner', 'champion', 'hero', 'superman', 'batman', 'spiderman', 'ironman', 'starwars', 'pokemon',
  'minecraft', 'fortnite', 'roblox', 'zelda', 'mario', 'naruto', 'harrypotter', 'hogwarts', 'gandalf',
  // sports and teams
  'football', 'soccer', 'baseball', 'basketball', 'hockey', 'tennis', 'golf', 'rugby', 'cricket', 'boxing',
  'yankees', 'cowboys', 'steelers', 'packers', 'eagles', 'lakers', 'chelsea', 'arsenal', 'liverpool',
  'manchester', 'barcelona', 'madrid', 'juventus', 'bayern', 'celtic', 'rangers',
  // cars and bikes
  'mustang', 'corvette', 'ferrari', 'porsche', 'camaro', 'mercedes', 'harley', 'yamaha', 'honda', 'toyota',
  // music and culture
  'music', 'guitar', 'metallica', 'nirvana', 'rockstar', 'rocknroll', 'blink182', 'slipknot', 'eminem',
  // places people use
  'london', 'paris', 'berlin', 'newyork', 'chicago', 'boston', 'dallas', 'texas', 'florida', 'california',
  'canada', 'america', 'england', 'france', 'germany', 'deutschland', 'scotland', 'ireland', 'australia',
  // rude words (common in leaked lists)
  'fuck', 'fuckyou', 'fucker', 'shit', 'bitch', 'asshole', 'bastard', 'damn', 'hell', 'sucker',
];
