// Generated conversation text for memory tests and benches: many distinct, ordinary utterances.

const FILLERS = {
  food: [
    'pasta',
    'rice',
    'soup',
    'bread',
    'salad',
    'curry',
    'pizza',
    'tacos',
    'pancakes',
    'noodles',
    'oatmeal',
    'dumplings',
    'risotto',
    'chili',
    'sushi',
    'omelette',
    'lasagna',
    'falafel',
    'paella',
    'porridge',
  ],
  thing: [
    'printer',
    'laptop',
    'bicycle',
    'kettle',
    'washing machine',
    'car battery',
    'phone charger',
    'garden hose',
    'headphones',
    'microwave',
    'vacuum cleaner',
    'lamp',
    'router',
    'dishwasher',
    'keyboard',
    'camera',
    'blender',
    'heater',
    'fridge',
    'toaster',
  ],
  topic: [
    'black holes',
    'the Roman empire',
    'volcanoes',
    'jazz',
    'chess openings',
    'honey bees',
    'the stock market',
    'photosynthesis',
    'origami',
    'medieval castles',
    'electric cars',
    'coral reefs',
    'the printing press',
    'penguins',
    'quantum computers',
    'the Olympic games',
    'tea ceremonies',
    'glaciers',
    'comets',
    'bamboo',
  ],
  n: [
    'two',
    'three',
    'five',
    'seven',
    'ten',
    'twelve',
    'fifteen',
    'twenty',
    'thirty',
    'forty',
    'forty-five',
    'fifty',
    'sixty',
    'ninety',
    'eight',
    'nine',
    'eleven',
    'four',
    'six',
    'twenty-five',
  ],
};

const UNRELATED_TEMPLATES: ((x: Record<keyof typeof FILLERS, string>) => string)[] = [
  (x) => `Can you give me a quick recipe for ${x.food}?`,
  (x) => `My ${x.thing} stopped working again this morning.`,
  (x) => `Tell me something interesting about ${x.topic}.`,
  (x) => `Set a timer for ${x.n} minutes please.`,
  (x) => `I had ${x.food} for lunch and it was too salty.`,
  (x) => `How do I clean the filter of a ${x.thing}?`,
  (x) => `Explain ${x.topic} like I am five years old.`,
  (x) => `Remind me in ${x.n} minutes to check the oven.`,
  (x) => `Is ${x.food} a healthy choice for dinner?`,
  (x) => `What should I do if my ${x.thing} makes a strange noise?`,
  (x) => `I watched a documentary about ${x.topic} yesterday.`,
  (x) => `Play some relaxing music for ${x.n} minutes.`,
];

/** `count` distinct everyday utterances that state no personal facts (name, home, family). */
export function unrelatedUtterances(count: number): string[] {
  const out: string[] = [];
  const keys = Object.keys(FILLERS) as (keyof typeof FILLERS)[];
  for (let i = 0; out.length < count; i++) {
    const template = UNRELATED_TEMPLATES[i % UNRELATED_TEMPLATES.length] as (typeof UNRELATED_TEMPLATES)[number];
    const round = Math.floor(i / UNRELATED_TEMPLATES.length);
    const x = Object.fromEntries(keys.map((k, j) => [k, FILLERS[k][(round + j * 7) % FILLERS[k].length]])) as Record<
      keyof typeof FILLERS,
      string
    >;
    const s = template(x);
    if (!out.includes(s)) out.push(s);
    if (i > count * 20) throw new Error('corpus too small for the count asked');
  }
  return out;
}

const NAMES = [
  'Bob Carter',
  'Yuki Tanaka',
  'Omar Haddad',
  'Priya Nair',
  'Lena Fischer',
  'Mateo Silva',
  'Amara Okafor',
  'Ivan Petrov',
  'Chloe Martin',
  'Kwame Mensah',
  'Sofia Rossi',
  'Liam Walsh',
  'Aiko Sato',
  'Noah Schmidt',
  'Fatima Zahra',
  'Diego Lopez',
  'Emma Johansson',
  'Hugo Bernard',
  'Mei Chen',
  'Ravi Kumar',
];
const CITIES = [
  'Paris',
  'Tokyo',
  'Cairo',
  'Mumbai',
  'Berlin',
  'Madrid',
  'Lagos',
  'Moscow',
  'Lyon',
  'Accra',
  'Rome',
  'Dublin',
  'Osaka',
  'Munich',
  'Rabat',
  'Bogota',
  'Stockholm',
  'Marseille',
  'Shanghai',
  'Chennai',
];
const JOBS = [
  'nurse',
  'pilot',
  'architect',
  'teacher',
  'chef',
  'lawyer',
  'plumber',
  'journalist',
  'dentist',
  'engineer',
];

/** Personal facts of another user: the same kinds of facts the test user states, with other values. */
export function otherUserFacts(i: number): string[] {
  const name = NAMES[i % NAMES.length] as string;
  return [
    `My name is ${name}.`,
    `I live in ${CITIES[i % CITIES.length]}, near the old market.`,
    `My sister ${NAMES[(i + 7) % NAMES.length]?.split(' ')[0]} works as a ${JOBS[i % JOBS.length]}.`,
  ];
}
